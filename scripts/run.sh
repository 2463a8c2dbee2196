#!/usr/bin/env bash
# Runs the kiosk on its embedded defaults, as a demonstration on this machine:
# the reference CA service, a SoftHSM2 token standing in for the customer's USB
# key (PIN 123456, a certificate 20 days from expiry), a printer that writes
# ESC/POS plus a PNG preview of each receipt, and the kiosk's window. All of it
# lives under var/demo (kept between runs; `--fresh` starts over).
#
#   bash scripts/run.sh [--fresh] [-- KIOSK_ARGS...]   e.g. -- --windowed
#
# With a display ($DISPLAY or $WAYLAND_DISPLAY) the kiosk opens a window (full
# screen; pass -- --windowed for a normal one). Without one it runs under Xvfb
# (a virtual X server: the screens are drawn but not seen; the log shows each
# step, and receipts appear in var/demo/receipts). Pay a QR code by opening
# the address it encodes (printed in the log) in a browser.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

bash "$repo/scripts/bootstrap.sh"

# bootstrap.sh may have found cargo only under ~/.cargo/bin.
if ! command -v cargo >/dev/null 2>&1; then
    export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
fi

cargo build --release -p kiosk -p ca-service -p kioskctl

demo=(target/release/kiosk demo --dir "$repo/var/demo" "$@")
if [[ -n "${DISPLAY:-}" || -n "${WAYLAND_DISPLAY:-}" ]]; then
    exec "${demo[@]}"
fi
echo "run.sh: no display: running the kiosk under Xvfb (1080x1920)" >&2
exec xvfb-run --auto-servernum --server-args="-screen 0 1080x1920x24" "${demo[@]}"
