#!/usr/bin/env bash
# The project's test command (README). Runs every Rust test in the workspace, then the
# end-to-end suites that need real clients or Apache ZooKeeper, each of which installs what
# it needs (apt-get / a venv under target/) and stops every process it starts.
#
#   ./tests/run.sh            everything
#   ZKRS_FAST=1 ./tests/run.sh   Rust tests only
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo test --workspace"
cargo test --workspace --locked

if [ "${ZKRS_FAST:-0}" = "1" ]; then
  exit 0
fi
