#!/usr/bin/env bash
# Makes a signed RAUC update bundle (format verity) from an image build:
#
#   bash image/bundle.sh [--build DIR] [--rootfs FILE] [--version V] [--out FILE]
#
# The bundle holds the root slot (rootfs.ext4, written raw into the inactive
# slot) and the slot's kernel images kiosk-A.efi / kiosk-B.efi (the kiosk's
# pre-install handler stages the one for the target slot on the ESP).
#
# Signing (see TECHNICIAN.md, "Signing keys"):
#   KIOSK_SIGNING_CERT   signer certificate (PEM), issued by the update CA
#                        whose certificate is the image's keyring
#   KIOSK_SIGNING_KEY    its private key: a file, or a PKCS#11 URL such as
#                        'pkcs11:token=kiosk-updates;object=signer' (the key
#                        stays in the HSM; RAUC_PKCS11_MODULE names the
#                        module, RAUC_PKCS11_PIN the PIN)
#   KIOSK_RAUC_KEYRING   update CA certificate, to check the new bundle
# Without them the THROWAWAY dev keys of image/dev-keys.sh are used
# ($KIOSK_SIGNING_DIR, default /tmp/kiosk-dev-signing).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build="${KIOSK_IMAGE_OUT:-$here/build}"
rootfs=
version=
out=

while [ $# -gt 0 ]; do
    case "$1" in
        --build) build="$2"; shift ;;
        --rootfs) rootfs="$2"; shift ;;
        --version) version="$2"; shift ;;
        --out) out="$2"; shift ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed 's/^# \{0,1\}//; /^set -euo/d'; exit 0 ;;
        *) echo "bundle.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done

die() { printf 'bundle.sh: %s\n' "$*" >&2; exit 1; }
for t in rauc mksquashfs; do
    command -v "$t" >/dev/null || die "$t is missing (apt-get install rauc squashfs-tools)"
done
rootfs="${rootfs:-$build/rootfs.ext4}"
[ -f "$rootfs" ] || die "no root file system at $rootfs (run image/build.sh first)"
for s in A B; do
    [ -f "$build/kiosk-$s.efi" ] || die "no $build/kiosk-$s.efi (run image/build.sh first)"
done
version="${version:-$(cat "$build/version" 2>/dev/null || date -u +%Y.%m.%d.%H%M%S)}"
out="${out:-$build/kiosk-$version.raucb}"

if [ -z "${KIOSK_SIGNING_KEY:-}" ]; then
    signing="${KIOSK_SIGNING_DIR:-/tmp/kiosk-dev-signing}"
    bash "$here/dev-keys.sh" "$signing"
    KIOSK_SIGNING_CERT="$signing/signing.cert.pem"
    KIOSK_SIGNING_KEY="$signing/signing.key.pem"
    KIOSK_RAUC_KEYRING="${KIOSK_RAUC_KEYRING:-$signing/ca.cert.pem}"
    echo "bundle.sh: signing with the THROWAWAY dev key in $signing" >&2
fi
[ -n "${KIOSK_SIGNING_CERT:-}" ] || die "KIOSK_SIGNING_KEY is set but KIOSK_SIGNING_CERT is not"

staging=$(mktemp -d "$build/bundle-staging.XXXXXX")
trap 'rm -rf "$staging"' EXIT
# Hard links where possible: the slot image is large.
ln "$rootfs" "$staging/rootfs.ext4" 2>/dev/null || cp --sparse=always "$rootfs" "$staging/rootfs.ext4"
cp "$build/kiosk-A.efi" "$build/kiosk-B.efi" "$staging/"
cat >"$staging/manifest.raucm" <<EOF
[update]
compatible=ca-kiosk-x86_64
version=$version
description=CA kiosk root file system $version

[bundle]
format=verity

[image.rootfs]
filename=rootfs.ext4
EOF

keyring=()
[ -n "${KIOSK_RAUC_KEYRING:-}" ] && keyring=(--keyring="$KIOSK_RAUC_KEYRING")
rm -f "$out"
start=$(date +%s)
rauc bundle --cert="$KIOSK_SIGNING_CERT" --key="$KIOSK_SIGNING_KEY" "${keyring[@]}" \
    --mksquashfs-args="-comp zstd -Xcompression-level 3" "$staging" "$out" >&2
echo "bundle.sh: $out ($(stat -c %s "$out") bytes) in $(( $(date +%s) - start ))s" >&2
echo "$out"
