#!/usr/bin/env bash
# One command for a fresh Debian machine: install what is needed, then run the main job (`tangentflow demo`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
swift run -c release tangentflow demo "$@"
