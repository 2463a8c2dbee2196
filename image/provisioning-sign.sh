#!/usr/bin/env bash
# Signs a provisioning set (a `kiosk-provision/` directory) so that kiosks
# accept it:
#
#   bash image/provisioning-sign.sh DIR
#
# Writes DIR/MANIFEST (the SHA-256 of every file in DIR, one per line, in
# byte order of their paths) and DIR/MANIFEST.sig (a detached CMS signature
# of MANIFEST, DER). A kiosk installs the set only when MANIFEST.sig
# verifies against the provisioning CA its image holds and every file is in
# MANIFEST with that hash, and nothing else is there (the provision script).
#
# The signer: $KIOSK_PROVISIONING_CERT and $KIOSK_PROVISIONING_KEY (a key
# file, or a PKCS#11 URL with OpenSSL's pkcs11 engine); without them the
# THROWAWAY dev signer of image/dev-keys.sh, said loudly: an image built
# for production does not accept it.
set -euo pipefail

[ $# -eq 1 ] && [ -d "$1" ] || { echo "usage: bash image/provisioning-sign.sh DIR" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
dir=$(cd "$1" && pwd)
command -v openssl >/dev/null || { echo "provisioning-sign: openssl is missing (apt: openssl)" >&2; exit 2; }

cert="${KIOSK_PROVISIONING_CERT:-}"
key="${KIOSK_PROVISIONING_KEY:-}"
if [ -z "$cert" ] || [ -z "$key" ]; then
    signing="${KIOSK_SIGNING_DIR:-/tmp/kiosk-dev-signing}"
    bash "$here/dev-keys.sh" "$signing"
    cert="$signing/prov-signer.cert.pem"
    key="$signing/prov-signer.key.pem"
    echo "provisioning-sign: signed with the THROWAWAY dev signer ($signing); only dev images accept it" >&2
fi
engine=()
case "$key" in pkcs11:*) engine=(-engine pkcs11 -keyform engine) ;; esac

# Only plain files with plain names: the kiosk refuses links, special
# files and names outside letters, digits and . _ - (no leading dot or dash).
if [ -n "$(find "$dir" -mindepth 1 ! -type d ! -type f -print -quit)" ]; then
    echo "provisioning-sign: $dir holds links or special files; copy the files instead" >&2
    exit 1
fi
bad=$(cd "$dir" && find . -mindepth 1 ! -path ./MANIFEST ! -path ./MANIFEST.sig -print0 |
    tr '\0\n' '\n?' | sed 's#^\./##' | grep -Ev '^[A-Za-z0-9_][A-Za-z0-9._-]*(/[A-Za-z0-9_][A-Za-z0-9._-]*)*$' | head -n 3 || true)
if [ -n "$bad" ]; then
    echo "provisioning-sign: names a kiosk refuses (letters, digits and . _ - only): $bad" >&2
    exit 1
fi
manifest=$(mktemp)
(
    cd "$dir"
    find . -type f ! -path ./MANIFEST ! -path ./MANIFEST.sig -print0 |
        LC_ALL=C sort -z | xargs -0 -r sha256sum | sed 's#  \./#  #'
) >"$manifest"
chmod 0644 "$manifest"
mv "$manifest" "$dir/MANIFEST"
openssl cms -sign -binary -nosmimecap -md sha256 -outform DER "${engine[@]}" \
    -signer "$cert" -inkey "$key" -in "$dir/MANIFEST" -out "$dir/MANIFEST.sig"
echo "provisioning-sign: $(wc -l <"$dir/MANIFEST") file(s) in $dir/MANIFEST, signed by $(openssl x509 -noout -subject -in "$cert" | sed 's/^subject=//')" >&2
