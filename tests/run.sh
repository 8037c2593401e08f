#!/usr/bin/env bash
# The test suite, on a fresh machine too: installs what the tests need
# (tests/provision.sh: Debian packages, the browser tests' npm packages),
# then runs every test binary, even after one fails.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/provision.sh
cargo test --no-fail-fast "$@"
