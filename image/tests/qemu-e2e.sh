#!/usr/bin/env bash
# The kiosk image end to end under QEMU (software emulation, no KVM needed):
#
#   bash image/tests/qemu-e2e.sh [--no-build]
#   (or: cargo xtask image-e2e [--no-build])
#
#  1. builds the e2e image (image/build.sh --e2e; --no-build reuses
#     image/build/ when it is an e2e build)
#  2. makes four bundles: good, wrong signer, tampered payload, and one whose
#     kiosk never gets ready (health check fails), and a FAT USB stick with
#     them and a provisioning directory
#  3. boots the image (OVMF + systemd-boot) and, on the serial console:
#     - the kiosk unit reaches ready, running as user `kiosk`; slot A marked good
#     - its screen is on the display (QEMU screendump), turned 90 degrees as
#       provisioned, and a tap on the language button switches it to English
#     - a hung kiosk (SIGSTOP) is killed by the service watchdog and restarted
#     - the stick's provisioning was applied (kiosk code, rotation)
#     - installs the good bundle from the stick, reboots into slot B, marked good
#     - refuses the wrong-signer and the tampered bundle; slot A untouched
#       (same checksum, same boot entry), still booted from B
#     - installs the failing bundle into A over the network (HTTP from the
#       host; the download is removed after); it fails its health check and the
#       kiosk comes back on B by itself
#     - when B fails too, the kiosk stops rebooting and shows the technician
#       message
#
# Timings go to image/build/e2e/results.txt; the serial log to
# image/build/e2e/serial.log, the screenshots beside them. Takes about 10-15 minutes on 2 cores.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build="${KIOSK_IMAGE_OUT:-$here/build}"
work="$build/e2e"
do_build=yes
build_args=(--dev --e2e)
while [ $# -gt 0 ]; do
    case "$1" in
        --no-build) do_build=no ;;
        *) echo "qemu-e2e.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done

missing=()
need() { command -v "$1" >/dev/null 2>&1 || missing+=("$1 (apt: $2)"); }
need qemu-system-x86_64 "qemu-system-x86 from bookworm-backports"
need qemu-img qemu-utils
need mkfs.vfat dosfstools
need mcopy mtools
need debugfs e2fsprogs
need python3 python3
need rauc rauc
[ -f /usr/share/OVMF/OVMF_CODE_4M.fd ] || missing+=("/usr/share/OVMF/OVMF_CODE_4M.fd (apt: ovmf)")
python3 -c 'import pexpect' 2>/dev/null || missing+=("python3 pexpect (apt: python3-pexpect)")
if [ ${#missing[@]} -gt 0 ]; then
    printf 'qemu-e2e: missing tools:\n' >&2
    printf '  %s\n' "${missing[@]}" >&2
    exit 2
fi

if [ "$do_build" = yes ] || ! grep -q '^e2e=yes' "$build/build-info" 2>/dev/null; then
    bash "$here/build.sh" "${build_args[@]}" --out "$build"
fi
version=$(cat "$build/version")
rm -rf "$work"
mkdir -p "$work/stick"

# --- bundles ------------------------------------------------------------------
log() { printf '==> %s\n' "$*" >&2; }
good_marker="$version+e2e-good"
bad_marker="$version+e2e-unhealthy"

# The good update: the same system with a new version marker.
cp --sparse=always "$build/rootfs.ext4" "$work/rootfs-good.ext4"
printf '%s\n' "$good_marker" >"$work/image-version"
debugfs -w -R "rm /usr/lib/kiosk/image-version" "$work/rootfs-good.ext4" >/dev/null 2>&1 || true
debugfs -w -R "write $work/image-version /usr/lib/kiosk/image-version" "$work/rootfs-good.ext4" >/dev/null
# The unhealthy update: its kiosk exits at once, so it never gets ready.
cp --sparse=always "$build/rootfs.ext4" "$work/rootfs-bad.ext4"
printf '#!/bin/sh\necho "e2e: this kiosk is broken on purpose" >&2\nexit 1\n' >"$work/broken-kiosk"
printf '%s\n' "$bad_marker" >"$work/image-version"
debugfs -w -R "rm /usr/bin/kiosk" "$work/rootfs-bad.ext4" >/dev/null 2>&1 || true
debugfs -w -R "write $work/broken-kiosk /usr/bin/kiosk" "$work/rootfs-bad.ext4" >/dev/null
debugfs -w -R "sif /usr/bin/kiosk mode 0100755" "$work/rootfs-bad.ext4" >/dev/null
debugfs -w -R "rm /usr/lib/kiosk/image-version" "$work/rootfs-bad.ext4" >/dev/null 2>&1 || true
debugfs -w -R "write $work/image-version /usr/lib/kiosk/image-version" "$work/rootfs-bad.ext4" >/dev/null

t=$(date +%s)
bash "$here/bundle.sh" --build "$build" --rootfs "$work/rootfs-good.ext4" \
    --version "$good_marker" --out "$work/stick/kiosk-good.raucb" >/dev/null
bundle_s=$(( $(date +%s) - t ))
bash "$here/bundle.sh" --build "$build" --rootfs "$work/rootfs-bad.ext4" \
    --version "$bad_marker" --out "$work/stick/kiosk-unhealthy.raucb" >/dev/null
# Wrong signer: a second throwaway PKI the image does not trust (outside the
# repository, like every key).
other_signer=$(mktemp -d /tmp/kiosk-e2e-other-signer.XXXXXX)
trap 'rm -rf "$other_signer"' EXIT
KIOSK_SIGNING_DIR="$other_signer/pki" bash "$here/bundle.sh" --build "$build" \
    --rootfs "$work/rootfs-good.ext4" --version "$good_marker" \
    --out "$work/stick/kiosk-wrong-signer.raucb" >/dev/null
# Tampered: one byte of the payload changed after signing.
cp "$work/stick/kiosk-good.raucb" "$work/stick/kiosk-tampered.raucb"
offset=$(( $(stat -c %s "$work/stick/kiosk-tampered.raucb") / 3 ))
orig=$(od -An -tu1 -j "$offset" -N1 "$work/stick/kiosk-tampered.raucb" | tr -d ' ')
printf "$(printf '\\%03o' $(( (orig + 1) % 256 )))" |
    dd of="$work/stick/kiosk-tampered.raucb" bs=1 seek="$offset" conv=notrunc status=none
rm -f "$work/rootfs-good.ext4" "$work/rootfs-bad.ext4"
bundle_bytes=$(stat -c %s "$work/stick/kiosk-good.raucb")
# The unhealthy bundle comes over the network (an HTTP server on the host,
# which the guest reaches as 10.0.2.2); the others from the stick.
mkdir -p "$work/web"
mv "$work/stick/kiosk-unhealthy.raucb" "$work/web/"

# Provisioning on the same stick.
mkdir -p "$work/stick/kiosk-provision"
printf '# e2e provisioning\nkiosk_code = "QAT"\n' >"$work/stick/kiosk-provision/kiosk.toml"
printf 'ROTATE=90\n' >"$work/stick/kiosk-provision/display.conf"
# Signed by the dev provisioning signer the image's CA (build.sh) trusts.
bash "$here/provisioning-sign.sh" "$work/stick/kiosk-provision"

# FAT32 stick image, built in user space (no vfat in the host kernel).
size_kb=$(( $(du -sk "$work/stick" | cut -f1) + 65536 ))
mkfs.vfat -C -F 32 -n KIOSKUPD "$work/stick.img" "$size_kb" >/dev/null
MTOOLS_SKIP_CHECK=1 mcopy -s -i "$work/stick.img" "$work/stick"/* ::/
rm -rf "$work/stick"

# --- boot -----------------------------------------------------------------------
qemu-img create -q -f qcow2 -F raw -b "$build/kiosk.raw" "$work/disk.qcow2"
cp /usr/share/OVMF/OVMF_VARS_4M.fd "$work/vars.fd"
{
    echo "version=$version"
    echo "binaries=$(sed -n 's/^binaries=//p' "$build/build-info")"
    echo "bundle_seconds=$bundle_s"
    echo "bundle_bytes=$bundle_bytes"
} >"$work/results.txt"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 --directory "$work/web" "$port" >"$work/http.log" 2>&1 &
http_pid=$!
trap 'kill "$http_pid" 2>/dev/null || true' EXIT
python3 "$here/tests/qemu_e2e.py" --work "$work" --good-marker "$good_marker" \
    --bundle-url "http://10.0.2.2:$port/kiosk-unhealthy.raucb"
