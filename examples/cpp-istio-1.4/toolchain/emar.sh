#!/bin/bash
# Bazel's archiver: emar.
set -euo pipefail
source toolchain/common.sh

emar "$@"
