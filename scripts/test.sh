#!/usr/bin/env bash
# One command for a fresh Debian machine: install what is needed, then build and run the whole test suite, then
# run the main job (`tangentflow demo`, release build) and check its headline numbers against the README's claims.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
swift build --build-tests
swift test
demo_dir="$(mktemp -d)/demo"
swift run -c release tangentflow demo -o "$demo_dir" --quiet > "$demo_dir.log"
python3 scripts/check-demo.py "$demo_dir"
