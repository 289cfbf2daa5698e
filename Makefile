# widelab: the two commands of the README, and their pieces.
#   make run    install what is missing, build, run the default job
#   make test   install what is missing, build (warnings are errors), run every test
BUILD ?= build
JOBS  ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=

.PHONY: all deps configure build test run fuzz bench clean install

all: build

deps:
	@scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DWL_WERROR=ON $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	@$(MAKE) --no-print-directory fuzz

# Loader fuzzers (libFuzzer, clang): a short run of each in make test.
FUZZ_SECONDS ?= 10
fuzz: deps
	@scripts/run-fuzz.sh $(BUILD)-fuzz $(FUZZ_SECONDS)

run: build
	@scripts/run-default.sh $(BUILD)

bench: build
	@scripts/install-deps.sh --bench
	@bench/run-all.sh $(BUILD)

install: build
	@cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD)-fuzz
