#!/usr/bin/env bash
# Runs every test: formatting, clippy, licence/ban checks and the test suite,
# through `cargo xtask ci` (see xtask/src/main.rs). Extra arguments go to
# `cargo test`, e.g. `bash scripts/test.sh -- --nocapture`.
#
# Long soak tests are #[ignore]d and not run here: `cargo xtask soak`.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

bash "$repo/scripts/bootstrap.sh"

# bootstrap.sh may have found cargo only under ~/.cargo/bin.
if ! command -v cargo >/dev/null 2>&1; then
    export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
fi

exec cargo xtask ci "$@"
