#!/usr/bin/env bash
# One command for a fresh Debian machine: install what is needed, then build and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
swift build --build-tests
swift test
