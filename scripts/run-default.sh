#!/usr/bin/env bash
# The default job of `make run`: a wide MLP (3 hidden layers of 1024, ReLU,
# NTK parametrization) trained with MaSS (settings from the tangent kernel)
# on 10000 Fashion-MNIST images for 3 epochs; prints the test accuracy on the
# 10000 test images and the run directory.
set -euo pipefail
build=${1:-build}
exec "$build/widelab" train --data fashion-mnist --n-train 10000 \
  --model mlp:784-1024x3-10:relu:ntk --optim mass --lr auto --batch 64 --epochs 3 \
  --eval-every 157 --seed 0 --out runs/default
