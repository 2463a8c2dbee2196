#!/usr/bin/env bash
# Writes the kiosk's Corresponding Source (GPL-3.0 section 6) for the image
# built from this tree:
#
#   bash image/source-bundle.sh OUT.tar.gz
#
# The kiosk binary links the Slint crates under GPL-3.0-only, so the image
# is distributed under GPL-3.0 as a whole, and its source goes with it:
# every file git tracks in this tree (as it is on disk, the tree the binary
# was built from), and the source of every crate it was built with
# (`cargo vendor --locked --offline`, from the machine's cargo cache) with
# the cargo configuration that builds from them. SOURCE.md inside says how.
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: bash image/source-bundle.sh OUT.tar.gz" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
out=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
command -v git >/dev/null || { echo "source-bundle: git is missing (apt: git)" >&2; exit 2; }
command -v cargo >/dev/null || { echo "source-bundle: cargo is missing" >&2; exit 2; }

scratch=$(mktemp -d /tmp/kiosk-source.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
top="$scratch/kiosk-source"
mkdir -p "$top"

# The tree: what git tracks, as on disk (deleted files left out).
(cd "$repo" && git ls-files -z --cached) |
    (cd "$repo" && xargs -0 sh -c 'for f; do if [ -e "$f" ]; then printf "%s\0" "$f"; fi; done' _) |
    (cd "$repo" && tar --null -T - -cf -) | tar -xf - -C "$top"

# The crates, and the configuration that builds from them offline.
# From the cache first; a crate for another platform that was never
# downloaded here is fetched from the registry.
(cd "$top" && { cargo vendor --locked --offline --versioned-dirs vendor 2>"$scratch/vendor.log" ||
    cargo vendor --locked --versioned-dirs vendor; } >"$scratch/vendor.toml")
# Beside the project's own settings (its aliases), not instead of them.
mkdir -p "$top/.cargo"
printf '\n# Build from vendor/ (image/source-bundle.sh).\n' >>"$top/.cargo/config.toml"
sed -n '/^\[source/,$p' "$scratch/vendor.toml" >>"$top/.cargo/config.toml"

cat >"$top/SOURCE.md" <<'TEXT'
# Corresponding Source of the CA kiosk image

This is the complete source of the kiosk software in the image it came with:
the project's own code (Apache-2.0, as its `Cargo.toml` declares) and, in
`vendor/`, every Rust crate it was built with, each under its own licence
(the Slint crates under GPL-3.0-only, which makes the program as distributed
GPL-3.0-only as a whole; the full text is `/usr/share/common-licenses/GPL-3`
on any Debian system, and in the image).

Build it as the image does, without a network (`.cargo/config.toml` points
cargo at `vendor/`):

    cargo build --release --locked -p kiosk -p kioskctl

The image itself is then made with `bash image/build.sh` (Debian packages
from Debian's archive, under their own licences).
TEXT

tar -C "$scratch" -czf "$out" kiosk-source
printf 'source-bundle: %s (%s)\n' "$out" "$(du -h "$out" | cut -f1)" >&2
