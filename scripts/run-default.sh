#!/usr/bin/env bash
# The default job of `make run`.
set -euo pipefail
build=${1:-build}
exec "$build/widelab" data info fashion-mnist
