#!/usr/bin/env bash
# Installs what building and testing the kiosk needs on a Debian 12 machine.
#
# Idempotent and fast when everything is already there: each Debian package is
# checked with dpkg-query (as `dpkg -s`) and each cargo tool with `command -v`
# first, so a second run does no apt work and compiles nothing. Called first by
# scripts/run.sh and scripts/test.sh; safe to run by hand.
set -euo pipefail

# Debian packages the build and tests need.
APT_PACKAGES=(
    build-essential
    pkg-config
    ca-certificates
    git
    # The USB key writer's tests: a software PKCS#11 token, OpenSC's
    # pkcs11-tool to cross-check what the kiosk wrote, openssl to verify.
    softhsm2
    opensc
    openssl
    # A second PKCS#11 implementation for the same tests: opencryptoki's soft
    # token (daemon pkcsslotd, RSA only, sets CLOCK_ON_TOKEN). The tests'
    # fixture (tests/src/opencryptoki.rs) configures and starts it as root.
    opencryptoki
    # The receipt printer: serial ports (serialport's libudev), USB printers
    # (rusb's libusb), and a pseudo-terminal pair for the serial tests.
    libudev-dev
    libusb-1.0-0-dev
    socat
    # The screens' CJK font as a system font, for the Chromium page the
    # footprint benchmark compares with (the kiosk embeds its own copy).
    fonts-wqy-microhei
    # The camera: nokhwa's V4L2 bindings are generated with bindgen (libclang).
    libclang-dev
    # The touchscreen (Slint): fontconfig for its font lookup; libinput,
    # libseat and xkbcommon for the linuxkms backend the kiosk image draws
    # with; the X and Wayland client libraries winit loads at run time; Xvfb
    # (with xauth for xvfb-run) to run the kiosk on a machine without a display.
    libfontconfig1-dev
    libinput-dev
    libseat-dev
    libxkbcommon-dev
    libxkbcommon-x11-0
    libwayland-client0
    xvfb
    xauth
    # xwd and xdotool: the footprint benchmark's screenshots of the Xvfb
    # screen and its taps on the kiosk's window.
    x11-apps
    xdotool
    # The reference CA's back-office page is tested in headless Chromium,
    # as a clerk's browser with a staff certificate in its NSS store
    # (certutil, pk12util); unshare (util-linux) gives it its own policy.
    chromium
    libnss3-tools
    # schemathesis (from PyPI, below) tests the CA service against its
    # OpenAPI document: Python with venv and pip.
    python3
    python3-venv
    python3-pip
    # Exactly-once proofs: fsync failures injected by libfiu, a kiosk 45
    # days ahead under libfaketime, curl beside the drain benchmark.
    fiu-utils
    faketime
    curl
    # The kiosk image's host checks (image/tests/host-checks.sh): signed
    # RAUC bundles made and refused, squashfs payloads, ext4 tools.
    rauc
    rauc-service
    squashfs-tools
    e2fsprogs
    # udevadm, for the image's udev rules (`udevadm verify` where the host's
    # udev has it; the host's own udev is left as it is).
    udev
    # ... and a bundle signed through a PKCS#11 URL (the update key in an
    # HSM; SoftHSM2 stands in): OpenSSL's pkcs11 engine, which RAUC loads.
    libengine-pkcs11-openssl
)

# Cargo tools: "binary-name crate[@version]". cargo-deny is pinned because
# deny.toml follows its config schema; bump both together.
CARGO_TOOLS=(
    "cargo-deny cargo-deny@0.20.2"
)

log() { printf 'bootstrap: %s\n' "$*" >&2; }
die() { printf 'bootstrap: error: %s\n' "$*" >&2; exit 1; }

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

as_root() {
    if [[ $(id -u) -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "not root and no sudo: run as root: $*"
    fi
}
export DEBIAN_FRONTEND=noninteractive

# --- Debian packages -------------------------------------------------------
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    # Like `dpkg -s`, but also rejects removed-but-not-purged packages.
    if [[ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)" != "install ok installed" ]]; then
        missing+=("$pkg")
    fi
done

if ((${#missing[@]} > 0)); then
    log "installing Debian packages: ${missing[*]}"
    as_root apt-get update -q
    as_root apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# --- Rust toolchain ----------------------------------------------------------
# Cargo's own bin dir is not always on PATH in non-login shells (CI).
if ! command -v cargo >/dev/null 2>&1 && [[ -x "${CARGO_HOME:-$HOME/.cargo}/bin/cargo" ]]; then
    export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
fi
if ! command -v cargo >/dev/null 2>&1; then
    die "cargo not found. Install Rust 1.95 with rustup (https://rustup.rs; Debian 12 has no rustup package): rust-toolchain.toml pins 1.95.0 with rustfmt and clippy. Then re-run."
fi

# --- Cargo tools -------------------------------------------------------------
for entry in "${CARGO_TOOLS[@]}"; do
    read -r bin crate <<<"$entry"
    if ! command -v "$bin" >/dev/null 2>&1; then
        log "installing $crate from crates.io (compiles from source: slow, but only once)"
        cargo install --locked "$crate"
    fi
done

# --- schemathesis ------------------------------------------------------------
# Pinned, in its own virtual environment under the user's cache; the test
# (sync/client/tests/schemathesis.rs) looks for it there. Bump both together.
SCHEMATHESIS_VERSION=4.32.5
st_venv="${XDG_CACHE_HOME:-$HOME/.cache}/kiosk/schemathesis-$SCHEMATHESIS_VERSION"
if [[ ! -x $st_venv/bin/schemathesis ]]; then
    log "installing schemathesis $SCHEMATHESIS_VERSION from PyPI into $st_venv"
    rm -rf "$st_venv"
    python3 -m venv "$st_venv"
    "$st_venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi
