#!/usr/bin/env bash
# Makes a THROWAWAY update-signing PKI for development and CI: a CA (its
# certificate is the image's RAUC keyring) and a signing key + certificate
# issued by it. Production keys live in an HSM and are used through a PKCS#11
# URL instead (TECHNICIAN.md, "Signing keys").
#
# usage: bash image/dev-keys.sh [DIR]      (default: $KIOSK_SIGNING_DIR or
#                                           /tmp/kiosk-dev-signing)
# Writes DIR/ca.cert.pem, DIR/signing.cert.pem, DIR/signing.key.pem (and the
# CA key), and a provisioning PKI apart from it: DIR/prov-ca.cert.pem (the
# image's provisioning CA) and DIR/prov-signer.{cert,key}.pem (what
# image/provisioning-sign.sh signs a kiosk-provision/ set with). Refuses any
# DIR inside the repository: keys are never committed. Makes only what is
# missing.
set -euo pipefail

dir="${1:-${KIOSK_SIGNING_DIR:-/tmp/kiosk-dev-signing}}"
repo=$(cd "$(dirname "$0")/.." && pwd)
abs=$(realpath -m "$dir")
case "$abs/" in
    "$repo"/*) echo "dev-keys.sh: refusing to put keys inside the repository ($abs)" >&2; exit 1 ;;
esac
mkdir -p "$abs"
chmod 700 "$abs"
have_update=no
if [ -f "$abs/signing.key.pem" ] && [ -f "$abs/signing.cert.pem" ] && [ -f "$abs/ca.cert.pem" ]; then
    have_update=yes
fi
have_prov=no
if [ -f "$abs/prov-ca.cert.pem" ] && [ -f "$abs/prov-signer.cert.pem" ] && [ -f "$abs/prov-signer.key.pem" ]; then
    have_prov=yes
fi
[ "$have_update$have_prov" = yesyes ] && exit 0
command -v openssl >/dev/null || { echo "dev-keys.sh: openssl is missing (apt-get install openssl)" >&2; exit 1; }
cd "$abs"
umask 077
cat >openssl.cnf <<'CNF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = placeholder
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[signing_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
if [ "$have_update" = no ]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -config openssl.cnf -extensions ca_ext -subj "/O=CA kiosk (THROWAWAY dev)/CN=kiosk update CA (dev)" \
        -days 3650 -keyout ca.key.pem -out ca.cert.pem 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -config openssl.cnf -subj "/O=CA kiosk (THROWAWAY dev)/CN=kiosk update signer (dev)" \
        -keyout signing.key.pem -out signing.csr.pem 2>/dev/null
    openssl x509 -req -in signing.csr.pem -CA ca.cert.pem -CAkey ca.key.pem -CAcreateserial \
        -extfile openssl.cnf -extensions signing_ext -days 3650 -out signing.cert.pem 2>/dev/null
    rm -f signing.csr.pem
fi
if [ "$have_prov" = no ]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -config openssl.cnf -extensions ca_ext -subj "/O=CA kiosk (THROWAWAY dev)/CN=kiosk provisioning CA (dev)" \
        -days 3650 -keyout prov-ca.key.pem -out prov-ca.cert.pem 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -config openssl.cnf -subj "/O=CA kiosk (THROWAWAY dev)/CN=kiosk provisioning signer (dev)" \
        -keyout prov-signer.key.pem -out prov-signer.csr.pem 2>/dev/null
    openssl x509 -req -in prov-signer.csr.pem -CA prov-ca.cert.pem -CAkey prov-ca.key.pem -CAcreateserial \
        -extfile openssl.cnf -extensions signing_ext -days 3650 -out prov-signer.cert.pem 2>/dev/null
    rm -f prov-signer.csr.pem
fi
echo "dev-keys.sh: throwaway signing keys in $abs" >&2
