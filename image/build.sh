#!/usr/bin/env bash
# Builds the kiosk's bootable x86-64 disk image, in one command:
#
#   bash image/build.sh [--dev] [--e2e] [--out DIR] [--version VERSION]
#
# 1. builds the kiosk and kioskctl with cargo, release profile;
# 2. runs mkosi (image/mkosi/: Debian bookworm, systemd-boot, partitions ESP /
#    root-a / root-b / data) with image/rootfs/ and the binaries as extra
#    trees, and the update keyring;
# 3. builds one unified kernel image per root slot (ukify: same kernel and
#    initrd, root=PARTLABEL=root-<slot> rauc.slot=<slot>) and puts slot A's on
#    the ESP as the first, good boot entry.
#
# Output (default image/build/, git-ignored; or --out / $KIOSK_IMAGE_OUT):
#   kiosk.raw          the disk image to flash (dd, bmaptool, or QEMU)
#   rootfs.ext4        root slot content, input of image/bundle.sh
#   kiosk-A.efi, kiosk-B.efi   the per-slot kernel images (also bundled)
#   kiosk-source-VERSION.tar.gz   its Corresponding Source (GPL-3.0: the
#                      kiosk links Slint under GPL-3.0-only; deliver it with
#                      the image; image/source-bundle.sh)
#   build-info         version, sizes, timings
#
# The update keyring: $KIOSK_RAUC_KEYRING (the production update CA
# certificate, public), else the throwaway dev CA of image/dev-keys.sh
# ($KIOSK_SIGNING_DIR, default /tmp/kiosk-dev-signing; never in the repo).
# The provisioning CA (whose signed kiosk-provision/ sets the kiosk takes):
# $KIOSK_PROVISIONING_CA, else that throwaway dev PKI's. Without both
# production certificates the build stops, unless --dev asks for the
# throwaway ones (development, CI, the QEMU test): such an image must never
# reach a kiosk in a hall.
#
# --e2e adds what the QEMU test needs and a production image must not have:
# a root shell on the serial console.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
out="${KIOSK_IMAGE_OUT:-$here/build}"
version="${KIOSK_IMAGE_VERSION:-$(date -u +%Y.%m.%d.%H%M%S)}"
e2e=no
dev=no

while [ $# -gt 0 ]; do
    case "$1" in
        --e2e) e2e=yes ;;
        --dev) dev=yes ;;
        --out) out="$2"; shift ;;
        --version) version="$2"; shift ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed 's/^# \{0,1\}//; /^set -euo/d'; exit 0 ;;
        *) echo "build.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'build.sh: %s\n' "$*" >&2; exit 1; }

if [ "$dev" = no ] && { [ -z "${KIOSK_RAUC_KEYRING:-}" ] || [ -z "${KIOSK_PROVISIONING_CA:-}" ]; }; then
    die "a release image needs the production update CA (KIOSK_RAUC_KEYRING) and provisioning CA (KIOSK_PROVISIONING_CA); --dev builds one with THROWAWAY keys, for development only"
fi
if [ "$dev" = no ]; then
    for cert in "$KIOSK_RAUC_KEYRING" "$KIOSK_PROVISIONING_CA"; do
        if openssl x509 -noout -subject -in "$cert" 2>/dev/null | grep -q THROWAWAY; then
            die "$cert is a THROWAWAY development CA (image/dev-keys.sh): not for a release image"
        fi
    done
fi
if [ "$dev" = yes ]; then
    log "--dev: THROWAWAY update and provisioning keys; this image must never reach a kiosk in a hall"
fi

# Tools, with the Debian package that brings each (see TECHNICIAN.md).
UKIFY=/usr/lib/systemd/ukify
STUB=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
missing=()
need() { command -v "$1" >/dev/null 2>&1 || missing+=("$1 (apt: $2)"); }
need mkosi "mkosi from bookworm-backports"
need mcopy mtools
need mdel mtools
need sfdisk fdisk
need objcopy binutils
need depmod kmod
need openssl openssl
need cargo "rustup toolchain"
need rustc "rustup toolchain"
/usr/bin/python3 -c 'import pefile' 2>/dev/null || missing+=("python3-pefile (apt: python3-pefile)")
[ -x "$UKIFY" ] || missing+=("$UKIFY (apt: systemd-boot from bookworm-backports, python3-pefile)")
[ -f "$STUB" ] || missing+=("$STUB (apt: systemd-boot-efi from bookworm-backports)")
if [ ${#missing[@]} -gt 0 ]; then
    printf 'build.sh: missing tools:\n' >&2
    printf '  %s\n' "${missing[@]}" >&2
    die "install them (e.g. apt-get install -t bookworm-backports mkosi systemd-boot systemd-boot-efi; apt-get install mtools fdisk binutils python3-pefile cpio) and run again"
fi
[ "$(id -u)" -eq 0 ] || die "mkosi needs root here (run as root or with sudo)"

start=$(date +%s)
mkdir -p "$out"
out=$(cd "$out" && pwd)
extra="$out/extra"
rm -rf "$extra"
mkdir -p "$extra/usr/bin" "$extra/etc/rauc" "$extra/usr/share/doc/kiosk"

# --- 1. binaries -------------------------------------------------------------
target_dir="${CARGO_TARGET_DIR:-$repo/target}"
packages=(kiosk kioskctl)
log "cargo build --release -p kiosk -p kioskctl"
(cd "$repo" && cargo build --release --locked -p kiosk -p kioskctl)
for bin in "${packages[@]}"; do
    install -m 0755 --strip "$target_dir/release/$bin" "$extra/usr/bin/$bin"
done
cp "$repo/TECHNICIAN.md" "$extra/usr/share/doc/kiosk/" 2>/dev/null || true
# GPL-3.0 (the Slint crates): the Corresponding Source goes with the image.
log "source bundle (image/source-bundle.sh)"
bash "$here/source-bundle.sh" "$out/kiosk-source-$version.tar.gz"

# --- update keyring ----------------------------------------------------------
if [ -n "${KIOSK_RAUC_KEYRING:-}" ]; then
    cp "$KIOSK_RAUC_KEYRING" "$extra/etc/rauc/keyring.pem"
else
    signing="${KIOSK_SIGNING_DIR:-/tmp/kiosk-dev-signing}"
    bash "$here/dev-keys.sh" "$signing"
    cp "$signing/ca.cert.pem" "$extra/etc/rauc/keyring.pem"
    log "keyring: THROWAWAY dev CA from $signing (set KIOSK_RAUC_KEYRING for production)"
fi
# --- provisioning CA: whose signed kiosk-provision/ sets the image accepts ------
mkdir -p "$extra/usr/lib/kiosk"
if [ -n "${KIOSK_PROVISIONING_CA:-}" ]; then
    cp "$KIOSK_PROVISIONING_CA" "$extra/usr/lib/kiosk/provisioning-ca.pem"
else
    signing="${KIOSK_SIGNING_DIR:-/tmp/kiosk-dev-signing}"
    bash "$here/dev-keys.sh" "$signing"
    cp "$signing/prov-ca.cert.pem" "$extra/usr/lib/kiosk/provisioning-ca.pem"
    log "provisioning CA: THROWAWAY dev CA from $signing (set KIOSK_PROVISIONING_CA for production)"
fi
if grep -rlE -- '-----BEGIN ([A-Z]+ )?PRIVATE KEY-----' "$extra" "$here/rootfs" >/dev/null 2>&1; then
    die "a private key would end up in the image: $(grep -rlE -- '-----BEGIN ([A-Z]+ )?PRIVATE KEY-----' "$extra" "$here/rootfs")"
fi

# --- 2. mkosi ------------------------------------------------------------------
trees=(--extra-tree="$here/rootfs" --extra-tree="$extra")
[ "$e2e" = yes ] && trees+=(--extra-tree="$here/tests/e2e-tree")
mkdir -p "$out/mkosi" "$out/cache"
rm -f "$out"/mkosi/kiosk_*
log "mkosi build (version $version)"
mkosi_start=$(date +%s)
(cd "$here/mkosi" && mkosi --force --image-version="$version" \
    --output-dir="$out/mkosi" --cache-dir="$out/cache" \
    "${trees[@]}" build)
mkosi_s=$(( $(date +%s) - mkosi_start ))
base="$out/mkosi/kiosk_$version"
for f in "$base.raw" "$base.efi" "$base.vmlinuz" "$base.initrd"; do
    [ -f "$f" ] || die "mkosi did not produce $f"
done

# --- 3. one UKI per slot ---------------------------------------------------------
objcopy -O binary --only-section=.osrel "$base.efi" "$out/os-release"
objcopy -O binary --only-section=.uname "$base.efi" "$out/uname" 2>/dev/null || true
uname_arg=()
[ -s "$out/uname" ] && uname_arg=(--uname="$(tr -d '\0' <"$out/uname")")
# systemd-boot orders entries by version before file name: the UKIs carry
# no IMAGE_VERSION, so that the generation in the file name decides (and a
# rollback to an older image works); the version goes into the title.
for slot in A B; do
    lower=$(echo "$slot" | tr 'AB' 'ab')
    sed -e '/^IMAGE_VERSION=/d' -e '/^PRETTY_NAME=/d' "$out/os-release" >"$out/os-release-$slot"
    echo "PRETTY_NAME=\"CA kiosk $version (slot $slot)\"" >>"$out/os-release-$slot"
    cmdline="root=PARTLABEL=root-$lower rauc.slot=$slot rw console=tty1 console=ttyS0,115200 consoleblank=0 systemd.firstboot=off systemd.show_status=auto panic=10"
    # Debian's python (pefile), whatever python3 is first in PATH.
    /usr/bin/python3 "$UKIFY" build --stub="$STUB" --linux="$base.vmlinuz" --initrd="$base.initrd" \
        --os-release=@"$out/os-release-$slot" "${uname_arg[@]}" --cmdline="$cmdline" \
        --output="$out/kiosk-$slot.efi" >/dev/null
done

# ESP: drop mkosi's own UKI, slot A's entry (generation 1, good), loader.conf.
esp_start=$(sfdisk -J "$base.raw" | python3 -c '
import json, sys
for p in json.load(sys.stdin)["partitiontable"]["partitions"]:
    if p.get("name") == "esp":
        print(p["start"] * 512)
')
[ -n "$esp_start" ] || die "no partition labelled esp in $base.raw"
esp="$base.raw@@$esp_start"
export MTOOLS_SKIP_CHECK=1
for f in $(mdir -b -i "$esp" ::/EFI/Linux 2>/dev/null || true); do
    mdel -i "$esp" "$f"
done
mmd -i "$esp" ::/EFI/Linux 2>/dev/null || true
mcopy -o -i "$esp" "$out/kiosk-A.efi" ::/EFI/Linux/kiosk-1-A.efi
printf 'timeout 0\neditor no\nauto-entries no\nauto-firmware no\nconsole-mode keep\n' >"$out/loader.conf"
mcopy -o -i "$esp" "$out/loader.conf" ::/loader/loader.conf
mdir -i "$esp" ::/EFI/Linux >&2

# Root slot content for bundles: repart's split file of root-a.
split=$(ls "$base".root*.raw 2>/dev/null | head -n 1 || true)
[ -n "$split" ] || die "mkosi wrote no split root partition (SplitArtifacts)"
mv -f "$split" "$out/rootfs.ext4"
mv -f "$base.raw" "$out/kiosk.raw"
rm -f "$base".*.raw "$base.efi" "$base.initrd" "$base.vmlinuz"
echo "$version" >"$out/version"

total_s=$(( $(date +%s) - start ))
{
    echo "version=$version"
    echo "e2e=$e2e"
    echo "binaries=${packages[*]}"
    echo "build_seconds=$total_s"
    echo "mkosi_seconds=$mkosi_s"
    echo "disk_apparent_bytes=$(stat -c %s "$out/kiosk.raw")"
    echo "disk_allocated_bytes=$(( $(stat -c %b "$out/kiosk.raw") * $(stat -c %B "$out/kiosk.raw") ))"
    echo "rootfs_used_bytes=$(( $(stat -c %b "$out/rootfs.ext4") * $(stat -c %B "$out/rootfs.ext4") ))"
    echo "uki_bytes=$(stat -c %s "$out/kiosk-A.efi")"
} >"$out/build-info"
cat "$out/build-info" >&2
log "done in ${total_s}s: $out/kiosk.raw"
