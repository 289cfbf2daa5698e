#!/usr/bin/env bash
# Installs the Debian packages widelab needs that are missing.
#   scripts/install-deps.sh          build, tests, data (make test / make run)
#   scripts/install-deps.sh --bench  also the peer tools for bench/ (torch, sklearn, POT)
# As root it runs apt-get; otherwise it prints the exact command and stops.
set -euo pipefail

pkgs=(gcc make cmake pkg-config libopenblas-dev liblapacke-dev zlib1g-dev
      libcmocka-dev dataset-fashion-mnist clang libclang-rt-14-dev)
if [[ "${1:-}" == "--bench" ]]; then
  pkgs+=(python3 python3-numpy python3-torch python3-sklearn python3-pot)
fi

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then
  echo "widelab needs these Debian packages: ${missing[*]}" >&2
  echo "run as root:  apt-get update && $cmd" >&2
  exit 1
fi

echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
$cmd
