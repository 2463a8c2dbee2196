#!/usr/bin/env bash
# Runs the kiosk on its embedded defaults, with its store under the repo's var/.
# For now that is `kioskctl doctor`. Extra arguments are passed to kioskctl
# after `doctor`.
#
#   bash scripts/run.sh
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

bash "$repo/scripts/bootstrap.sh"

# bootstrap.sh may have found cargo only under ~/.cargo/bin.
if ! command -v cargo >/dev/null 2>&1; then
    export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
fi

mkdir -p "$repo/var"
exec cargo run --release -p kioskctl -- --data-dir "$repo/var" doctor "$@"
