#!/usr/bin/env bash
# The image's checks that run on the build host in seconds (CI runs them
# through `cargo xtask image-check`):
#
#   bash image/tests/host-checks.sh
#
#  1. every shell script parses (sh -n / bash -n)
#  2. `systemd-analyze verify` of every unit: no output on stderr
#  3. kiosk.service: `systemd-analyze security` exposure <= 4.0
#  4. `udevadm verify` of every udev rule (and of generated model rules)
#  5. no private key anywhere under image/
#  6. the RAUC custom boot-loader backend and the boot-failure decision on a
#     scratch ESP: install, trial, good, fallback, both slots failed
#  7. RAUC bundles on the host: a verity bundle signed by a throwaway key is
#     accepted; a wrong signer is refused; a tampered payload is refused by
#     `rauc extract` (`rauc info` does not read the payload); a plain bundle
#     is refused by the image's system.conf
#  8. a bundle signed by bundle.sh through a PKCS#11 URL, with the signer's
#     key generated inside a SoftHSM2 token standing in for the HSM
#  9. kernel.sysrq = 0 (a USB keyboard cannot reboot or kill anything); a
#     release build stops without the production update and provisioning
#     CAs (--dev for throwaway keys)
# 10. the licence: the Slint crates taken under GPL-3.0-only (deny.toml),
#     the image's notice, and image/source-bundle.sh's Corresponding Source
#     complete (cargo resolves it offline from its vendor/ alone)
# 11. provisioning: only a set signed by the image's provisioning CA, whole
#     (MANIFEST), on a kiosk not provisioned or unlocked once; never one
#     carrying data/store or data/keys; never over a file the kiosk has
#
# Exit status 0 when all pass. A missing tool fails with the Debian package
# to install. Checks 2-4 need the image's systemd and udev (254, from
# bookworm-backports); on a host with older ones they are skipped with a
# message (the test command never replaces a developer's init system).
set -uo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
rootfs="$here/rootfs"
units="$rootfs/usr/lib/systemd/system"
scratch=$(mktemp -d /tmp/kiosk-image-checks.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
failures=0
t0=$(date +%s)

pass() { printf 'ok   %s\n' "$*"; }
skip() { printf 'skip %s\n' "$*"; }
fail() { printf 'FAIL %s\n' "$*"; failures=$((failures + 1)); }

# --- tools -------------------------------------------------------------------
missing=()
need() { command -v "$1" >/dev/null 2>&1 || missing+=("$1 (apt: $2)"); }
need systemd-analyze systemd
need udevadm udev
need rauc rauc
need mksquashfs squashfs-tools
need unsquashfs squashfs-tools
need openssl openssl
need mke2fs e2fsprogs
[ -f /usr/lib/systemd/system/rauc.service ] || missing+=("/usr/lib/systemd/system/rauc.service (apt: rauc-service)")
need softhsm2-util softhsm2
need pkcs11-tool opensc
engines=$(openssl version -e 2>/dev/null | sed -n 's/^ENGINESDIR: "\(.*\)"/\1/p')
[ -f "$engines/pkcs11.so" ] || missing+=("OpenSSL's pkcs11 engine, for RAUC's pkcs11: keys (apt: libengine-pkcs11-openssl)")
if [ ${#missing[@]} -gt 0 ]; then
    printf 'host-checks: missing tools:\n' >&2
    printf '  %s\n' "${missing[@]}" >&2
    printf 'host-checks: install them (bash scripts/bootstrap.sh does) and run again\n' >&2
    exit 2
fi
# The image runs systemd and udev 254 (bookworm-backports). A build host
# with older ones (bookworm's 252) cannot judge the image's units (their
# directives are newer) and has no `udevadm verify`: those checks are
# skipped there with a message, never by changing the host's init system.
systemd_version=$(systemd-analyze --version 2>/dev/null | sed -n '1s/^systemd \([0-9]*\).*/\1/p')
systemd_new=no
[ "${systemd_version:-0}" -ge 254 ] && systemd_new=yes
udev_verify=no
udevadm verify --help >/dev/null 2>&1 && udev_verify=yes
old_host="this host's systemd ${systemd_version:-?} is older than the image's 254 (bookworm-backports)"

# --- 1. scripts parse ------------------------------------------------------
bad=
for f in "$rootfs"/usr/lib/kiosk/* "$here/mkosi/mkosi.postinst.chroot"; do
    sh -n "$f" 2>>"$scratch/sh.err" || bad="$bad $f"
done
for f in "$here"/*.sh "$here"/tests/*.sh; do
    bash -n "$f" 2>>"$scratch/sh.err" || bad="$bad $f"
done
if [ -z "$bad" ]; then pass "shell scripts parse"; else fail "shell syntax:$bad"; cat "$scratch/sh.err"; fi

# --- 2. systemd-analyze verify ---------------------------------------------------
# A scratch root: the host's units (targets, logind, rauc.service), the
# image's units and helpers over them, so that verify resolves every
# dependency and ExecStart= inside it.
vroot="$scratch/root"
mkdir -p "$vroot/usr/lib/systemd" "$vroot/etc/systemd/system" "$vroot/usr/bin" "$vroot/bin"
cp -a /usr/lib/systemd/system "$vroot/usr/lib/systemd/"
cp -a "$rootfs/." "$vroot/"
# kiosk.service requires seatd.service, which the image gets from Debian's
# seatd package; a build host has no reason to run seatd, so its unit as
# that package ships it (seatd 0.7.0-6) stands in when the host has none.
if [ ! -f "$vroot/usr/lib/systemd/system/seatd.service" ]; then
    printf '[Unit]\nDescription=Seat management daemon\n\n[Service]\nType=simple\nExecStart=seatd -g video\nRestart=always\nRestartSec=1\n\n[Install]\nWantedBy=multi-user.target\n' \
        >"$vroot/usr/lib/systemd/system/seatd.service"
    : >"$vroot/usr/bin/seatd"
    chmod 0755 "$vroot/usr/bin/seatd"
fi
for b in /usr/bin/rauc /usr/bin/systemd-tmpfiles /bin/sh; do
    mkdir -p "$vroot$(dirname "$b")"
    cp -L "$b" "$vroot$b"
done
unit_files=("$units"/*.service "$units"/*.mount)
rel=()
for u in "${unit_files[@]}"; do rel+=("$vroot/usr/lib/systemd/system/$(basename "$u")"); done
if [ "$systemd_new" = no ]; then
    skip "systemd-analyze verify: $old_host"
elif systemd-analyze verify --man=no --root="$vroot" "${rel[@]}" 2>"$scratch/verify.err" >/dev/null &&
    [ ! -s "$scratch/verify.err" ]; then
    pass "systemd-analyze verify: ${#unit_files[@]} units, no output"
else
    fail "systemd-analyze verify:"
    sed 's/^/     /' "$scratch/verify.err"
fi

# --- 3. security exposure --------------------------------------------------------
exposure=$(cd "$units" && systemd-analyze security --offline=true --no-pager ./kiosk.service 2>&1 |
    sed -n 's/.*Overall exposure level for kiosk.service: \([0-9.]*\).*/\1/p')
if [ "$systemd_new" = no ]; then
    skip "kiosk.service exposure: $old_host"
elif (cd "$units" && systemd-analyze security --offline=true --threshold=40 --no-pager ./kiosk.service >/dev/null 2>&1); then
    pass "kiosk.service exposure ${exposure:-?} <= 4.0"
else
    fail "kiosk.service exposure ${exposure:-?} > 4.0 (systemd-analyze security --offline=true image/rootfs/usr/lib/systemd/system/kiosk.service)"
fi

# --- 4. udev rules -----------------------------------------------------------------
printf '[printer]\nuri = "usb:0416:5011"\n[[key_writer.models]]\nusb_id = "096E:0703"\nname = "x"\nmodule = "/x.so"\n' >"$scratch/sample.toml"
sh "$rootfs/usr/lib/kiosk/udev-models" "$scratch/sample.toml" >"$scratch/71-kiosk-models.rules"
if grep -q 'ATTR{idVendor}=="096e", ATTR{idProduct}=="0703"' "$scratch/71-kiosk-models.rules" &&
    grep -q 'ATTR{idVendor}=="0416", ATTR{idProduct}=="5011"' "$scratch/71-kiosk-models.rules"; then
    pass "udev-models writes rules for the configured key and printer"
else
    fail "udev-models output:"; cat "$scratch/71-kiosk-models.rules"
fi
# The group `kiosk` exists only in the image: names are not resolved here.
rules=("$rootfs"/usr/lib/udev/rules.d/*.rules "$scratch/71-kiosk-models.rules")
if [ "$udev_verify" = no ]; then
    skip "udevadm verify: this host's udev $(udevadm --version) has none (the image's 254 has)"
elif udevadm verify --resolve-names=never "${rules[@]}" >"$scratch/udev.out" 2>&1; then
    pass "udevadm verify: ${#rules[@]} rule files"
else
    fail "udevadm verify:"; sed 's/^/     /' "$scratch/udev.out"
fi

# --- 5. no private keys under image/ ------------------------------------------------
keys=$( (grep -rIlE -- '-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY-----' "$here" --exclude-dir=build 2>/dev/null
    find "$here" -path "$here/build" -prune -o -type f \( -name '*.key' -o -name '*.key.pem' \
        -o -name '*.p12' -o -name '*.pfx' -o -name '*.jks' \) -print) | sort -u)
if [ -d "$here/build/extra" ]; then
    keys="$keys$(grep -rIlE -- '-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY-----' "$here/build/extra" 2>/dev/null)"
fi
if [ -z "$keys" ]; then
    pass "no private key under image/"
else
    fail "private keys under image/:"; echo "$keys" | sed 's/^/     /'
fi

# --- 6. boot-loader backend and boot-failure decision ---------------------------------
esp="$scratch/esp"
mkdir -p "$esp"
bl() { KIOSK_ESP_DIR="$esp" sh "$rootfs/usr/lib/kiosk/rauc-bootloader" "$@"; }
entries() { (cd "$esp" && ls | sort | tr '\n' ' ' | sed 's/ $//'); }
check() { # name expected actual
    if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: expected '$2', got '$3'"; fi
}
: >"$esp/kiosk-1-A.efi"
check "backend: fresh image boots A" "A" "$(bl get-primary)"
check "backend: B has no entry, bad" "bad" "$(bl get-state B)"
# An install into B: the pre-install handler stages B's kernel image, RAUC
# marks B bad, writes it, and sets it primary: the staged image becomes B's
# entry with one try.
: >"$esp/staged-B.uki"          # the pre-install handler stages B's kernel
bl set-state B bad
bl set-primary B
check "backend: new slot B on trial is primary" "B" "$(bl get-primary)"
check "backend: entries after install" "kiosk-1-A.efi kiosk-2-B+1.efi" "$(entries)"
# systemd-boot decrements before booting B; the health check passes.
mv "$esp/kiosk-2-B+1.efi" "$esp/kiosk-2-B+0-1.efi"
bl set-state B good
check "backend: mark-good drops the counter" "kiosk-1-A.efi kiosk-2-B.efi" "$(entries)"
check "backend: B primary once good" "B" "$(bl get-primary)"
# Manual rollback: mark A active.
bl set-primary A
check "backend: mark-active A makes it primary" "A" "$(bl get-primary)"
check "backend: generations after mark-active" "kiosk-2-B.efi kiosk-3-A.efi" "$(entries)"
# A trial entry with no tries left falls behind the good one.
rm -f "$esp"/*; : >"$esp/kiosk-1-A.efi"; : >"$esp/kiosk-2-B+0-1.efi"
check "backend: exhausted trial B loses to good A" "A" "$(bl get-primary)"
check "backend: exhausted trial is bad" "bad" "$(bl get-state B)"

# boot-failed: records what it would do instead of rebooting.
bf() {
    : >"$scratch/systemctl.log"
    printf '#!/bin/sh\necho "$*" >>%s\n' "$scratch/systemctl.log" >"$scratch/systemctl"
    chmod +x "$scratch/systemctl"
    KIOSK_ESP_DIR="$esp" KIOSK_SYSTEMCTL="$scratch/systemctl" KIOSK_CONSOLE="$scratch/console" \
        sh "$rootfs/usr/lib/kiosk/boot-failed" "$1" >/dev/null 2>&1
    tr '\n' ';' <"$scratch/systemctl.log"
}
rm -f "$esp"/*; : >"$esp/kiosk-1-A.efi"; : >"$esp/kiosk-2-B+0-1.efi"
check "boot-failed: trial B fails, A good -> reboot" "reboot;" "$(bf B)"
rm -f "$esp"/*; : >"$esp/kiosk-1-A.efi"; : >"$esp/kiosk-2-B.efi"
check "boot-failed: good B fails, A good -> reboot" "reboot;" "$(bf B)"
check "boot-failed: ... and B is given up (+0)" "kiosk-1-A.efi kiosk-2-B+0-1.efi" "$(entries)"
check "boot-failed: then A fails too -> stop, no reboot" "--no-block stop kiosk.service;" "$(bf A)"
if grep -q 'both system slots failed' "$scratch/console" 2>/dev/null; then
    pass "boot-failed: technician message on the console"
else
    fail "boot-failed: no technician message"
fi
rm -f "$esp"/*; : >"$esp/kiosk-1-A.efi"
check "boot-failed: only slot A, it fails -> stop" "--no-block stop kiosk.service;" "$(bf A)"

# --- 7. RAUC bundles ------------------------------------------------------------------
pki="$scratch/pki"
bash "$here/dev-keys.sh" "$pki/good" 2>/dev/null
bash "$here/dev-keys.sh" "$pki/other" 2>/dev/null
content="$scratch/content"
mkdir -p "$content/tree/usr/lib/kiosk" "$scratch/bundle-in"
head -c 3000000 /dev/urandom >"$content/tree/usr/lib/kiosk/payload.bin"
echo "host-check" >"$content/tree/usr/lib/kiosk/image-version"
mke2fs -q -t ext4 -d "$content/tree" "$scratch/bundle-in/rootfs.ext4" 16M >/dev/null 2>&1
head -c 65536 /dev/urandom >"$scratch/bundle-in/kiosk-A.efi"
cp "$scratch/bundle-in/kiosk-A.efi" "$scratch/bundle-in/kiosk-B.efi"
manifest() { # format
    cat >"$scratch/bundle-in/manifest.raucm" <<EOF
[update]
compatible=ca-kiosk-x86_64
version=host-check

[bundle]
format=$1

[image.rootfs]
filename=rootfs.ext4
EOF
}
mkbundle() { # out signer format
    manifest "$3"
    rauc bundle --cert="$pki/$2/signing.cert.pem" --key="$pki/$2/signing.key.pem" \
        --mksquashfs-args="-comp zstd -Xcompression-level 3" \
        "$scratch/bundle-in" "$1" >"$scratch/bundle.log" 2>&1
}
if mkbundle "$scratch/good.raucb" good verity; then
    pass "rauc bundle: verity bundle created ($(stat -c %s "$scratch/good.raucb") bytes)"
else
    fail "rauc bundle:"; sed 's/^/     /' "$scratch/bundle.log"
fi
if rauc info --keyring="$pki/good/ca.cert.pem" "$scratch/good.raucb" >"$scratch/info.log" 2>&1 &&
    grep -q "verity" "$scratch/info.log"; then
    pass "rauc info: good bundle verified against the keyring"
else
    fail "rauc info (good bundle):"; sed 's/^/     /' "$scratch/info.log"
fi
mkbundle "$scratch/wrong-signer.raucb" other verity
if rauc info --keyring="$pki/good/ca.cert.pem" "$scratch/wrong-signer.raucb" >"$scratch/ws.log" 2>&1; then
    fail "rauc info accepted a bundle from a wrong signer"
else
    pass "wrong signer refused ($(grep -m1 -iE 'error|fail|invalid|unable' "$scratch/ws.log" | sed 's/^.*: //' | head -c 100))"
fi
# Tamper one byte in the middle of the squashfs payload.
cp "$scratch/good.raucb" "$scratch/tampered.raucb"
offset=$(( $(stat -c %s "$scratch/good.raucb") / 3 ))
orig=$(od -An -tu1 -j "$offset" -N1 "$scratch/tampered.raucb" | tr -d ' ')
printf "$(printf '\\%03o' $(( (orig + 1) % 256 )))" |
    dd of="$scratch/tampered.raucb" bs=1 seek="$offset" conv=notrunc status=none
if rauc info --keyring="$pki/good/ca.cert.pem" "$scratch/tampered.raucb" >/dev/null 2>&1; then
    pass "tampered bundle: rauc info still says 'verified' (known: it does not read the payload)"
else
    pass "tampered bundle: rauc info refused it"
fi
rm -rf "$scratch/extract"
if rauc extract --keyring="$pki/good/ca.cert.pem" "$scratch/tampered.raucb" "$scratch/extract" >"$scratch/tamper.log" 2>&1; then
    fail "rauc extract accepted a tampered payload"
else
    pass "tampered payload refused by rauc extract ($(grep -m1 -iE 'verification failed|hash|mismatch|corrupt' "$scratch/tamper.log" | sed 's/^rauc-Message: [0-9:.]*: //' | head -c 100))"
fi
rm -rf "$scratch/extract"
if rauc extract --keyring="$pki/good/ca.cert.pem" "$scratch/good.raucb" "$scratch/extract" >"$scratch/extract.log" 2>&1 &&
    cmp -s "$scratch/extract/kiosk-B.efi" "$scratch/bundle-in/kiosk-B.efi"; then
    pass "good bundle extracts intact"
else
    fail "rauc extract (good bundle):"; sed 's/^/     /' "$scratch/extract.log"
fi
# The image's system.conf refuses plain bundles.
mkbundle "$scratch/plain.raucb" good plain
sed -e "s|^path=.*|path=$pki/good/ca.cert.pem|" -e "s|^data-directory=.*|data-directory=$scratch/rauc-data|" \
    -e "s|^device=.*|device=/dev/null|" "$rootfs/etc/rauc/system.conf" >"$scratch/system.conf"
if rauc --conf="$scratch/system.conf" info "$scratch/plain.raucb" >"$scratch/plain.log" 2>&1; then
    fail "system.conf accepted a plain bundle"
else
    if grep -qi "plain" "$scratch/plain.log"; then
        pass "plain bundle refused by the image's system.conf"
    else
        fail "plain bundle refused for another reason:"; sed 's/^/     /' "$scratch/plain.log"
    fi
fi
if rauc --conf="$scratch/system.conf" info "$scratch/good.raucb" >"$scratch/conf-good.log" 2>&1; then
    pass "verity bundle accepted by the image's system.conf"
else
    fail "image system.conf refused the good bundle:"; sed 's/^/     /' "$scratch/conf-good.log"
fi

# --- 8. signing with a key kept in an HSM -------------------------------------------
# Production keeps the update signer's key in an HSM; RAUC reaches it by a
# PKCS#11 URL. SoftHSM2 stands in for the HSM: the key pair is generated
# inside the token (never extractable), its certificate issued by the
# throwaway update CA, and bundle.sh signs through the URL.
hsm="$scratch/hsm"
mkdir -p "$hsm/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$hsm" >"$hsm/softhsm2.conf"
module=/usr/lib/softhsm/libsofthsm2.so
if SOFTHSM2_CONF="$hsm/softhsm2.conf" softhsm2-util --init-token --free --label kiosk-updates \
        --pin 4321 --so-pin 87654321 >"$hsm/log" 2>&1 &&
    SOFTHSM2_CONF="$hsm/softhsm2.conf" pkcs11-tool --module "$module" --token-label kiosk-updates \
        --login --pin 4321 --keypairgen --key-type rsa:3072 --sensitive --label update-signer --id 01 \
        >>"$hsm/log" 2>&1 &&
    SOFTHSM2_CONF="$hsm/softhsm2.conf" pkcs11-tool --module "$module" --token-label kiosk-updates \
        --read-object --type pubkey --label update-signer -o "$hsm/pub.der" >>"$hsm/log" 2>&1 &&
    openssl pkey -pubin -inform DER -in "$hsm/pub.der" -out "$hsm/pub.pem" 2>>"$hsm/log" &&
    openssl x509 -new -force_pubkey "$hsm/pub.pem" -subj "/O=CA kiosk (THROWAWAY dev)/CN=update signer in HSM" \
        -CA "$pki/good/ca.cert.pem" -CAkey "$pki/good/ca.key.pem" -days 2 \
        -extfile "$pki/good/openssl.cnf" -extensions signing_ext -out "$hsm/signer.pem" 2>>"$hsm/log"; then
    access=$(SOFTHSM2_CONF="$hsm/softhsm2.conf" pkcs11-tool --module "$module" --token-label kiosk-updates \
        --login --pin 4321 --list-objects --type privkey 2>/dev/null | sed -n 's/^ *Access: *//p')
    case "$access" in
        *"never extractable"*) pass "HSM: signer key generated in the token ($access)" ;;
        *) fail "HSM: the signer key can leave the token ($access)" ;;
    esac
    manifest verity
    if SOFTHSM2_CONF="$hsm/softhsm2.conf" RAUC_PKCS11_MODULE="$module" RAUC_PKCS11_PIN=4321 \
        KIOSK_SIGNING_CERT="$hsm/signer.pem" KIOSK_SIGNING_KEY="pkcs11:token=kiosk-updates;object=update-signer" \
        KIOSK_RAUC_KEYRING="$pki/good/ca.cert.pem" \
        bash "$here/bundle.sh" --build "$scratch/bundle-in" --version host-check-hsm \
        --out "$scratch/hsm.raucb" >"$hsm/bundle.log" 2>&1 &&
        rauc info --keyring="$pki/good/ca.cert.pem" "$scratch/hsm.raucb" >"$hsm/info.log" 2>&1 &&
        grep -q "update signer in HSM" "$hsm/info.log"; then
        pass "bundle.sh signs through a PKCS#11 URL; the bundle verifies against the keyring"
    else
        fail "bundle.sh with a PKCS#11 key:"; sed 's/^/     /' "$hsm/bundle.log" | tail -n 15
    fi
else
    fail "HSM set-up (SoftHSM2 token, key pair, certificate):"; sed 's/^/     /' "$hsm/log" | tail -n 15
fi

# --- 9. kernel settings: no SysRq from a stranger's keyboard ------------------------
sysctl_file="$rootfs/usr/lib/sysctl.d/50-kiosk.conf"
if grep -Eq '^[[:space:]]*kernel\.sysrq[[:space:]]*=[[:space:]]*0[[:space:]]*$' "$sysctl_file" 2>/dev/null &&
    grep -q '^systemctl mask ctrl-alt-del.target' "$here/mkosi/mkosi.postinst.chroot" &&
    ! grep -rEq '^[[:space:]]*kernel\.sysrq[[:space:]]*=[[:space:]]*[1-9]' "$rootfs/usr/lib/sysctl.d" "$rootfs/etc" 2>/dev/null; then
    pass "kernel.sysrq = 0, nothing in the image sets it otherwise, and Ctrl+Alt+Del is masked"
else
    fail "kernel.sysrq is not 0 in $sysctl_file (or set otherwise elsewhere)"
fi

# --- 9b. a release build needs the production CAs ------------------------------------
# (Without cargo on PATH: were the guard ever gone, the build stops at its
# tool check instead of starting.)
if out=$(env -u KIOSK_RAUC_KEYRING -u KIOSK_PROVISIONING_CA PATH=/usr/bin:/bin bash "$here/build.sh" --out "$scratch/release" 2>&1); then
    fail "build.sh built an image without production keys and without --dev"
elif printf '%s' "$out" | grep -q 'needs the production update CA' && [ ! -e "$scratch/release" ]; then
    pass "build.sh refuses a release image without the production CAs (--dev for throwaway keys)"
else
    fail "build.sh without production keys: $out"
fi
dev_ca="$scratch/dev-ca"
bash "$here/dev-keys.sh" "$dev_ca" 2>/dev/null
if out=$(KIOSK_RAUC_KEYRING="$dev_ca/ca.cert.pem" KIOSK_PROVISIONING_CA="$dev_ca/prov-ca.cert.pem" \
    PATH=/usr/bin:/bin bash "$here/build.sh" --out "$scratch/release" 2>&1); then
    fail "build.sh built a release image with the THROWAWAY CAs"
elif printf '%s' "$out" | grep -q 'THROWAWAY development CA'; then
    pass "build.sh refuses the THROWAWAY CAs for a release image"
else
    fail "build.sh with the THROWAWAY CAs: $out"
fi

# --- 10. licence: GPL-3.0 build, its notice and its Corresponding Source ------------
repo=$(dirname "$here")
if grep -q 'Slint-Royalty-free' <(grep -v '^[[:space:]]*#' "$repo/deny.toml") ||
    ! grep -q '{ crate = "i-slint-core", allow = \["GPL-3.0-only"\] }' "$repo/deny.toml"; then
    fail "deny.toml: the Slint crates must be taken under GPL-3.0-only (a kiosk is an embedded system)"
elif ! grep -q 'GPL-3.0' "$rootfs/usr/share/doc/kiosk/COPYING.md" 2>/dev/null; then
    fail "the image's licence notice (usr/share/doc/kiosk/COPYING.md) is missing"
else
    pass "the Slint crates under GPL-3.0-only only; the image says so"
fi
src="$scratch/source"
mkdir -p "$src"
if bash "$here/source-bundle.sh" "$src/kiosk-source.tar.gz" >"$src/log" 2>&1 &&
    tar -xzf "$src/kiosk-source.tar.gz" -C "$src"; then
    tree="$src/kiosk-source"
    missing_src=()
    for f in Cargo.lock SOURCE.md app/kiosk/src/main.rs ui/ui/index.slint deny.toml; do
        [ -f "$tree/$f" ] || missing_src+=("$f")
    done
    for crate in slint i-slint-core i-slint-compiler; do
        compgen -G "$tree/vendor/$crate-[0-9]*/Cargo.toml" >/dev/null || missing_src+=("vendor/$crate")
    done
    [ -d "$tree/target" ] && missing_src+=("(a target/ directory that must not be there)")
    if [ ${#missing_src[@]} -gt 0 ]; then
        fail "the source bundle misses: ${missing_src[*]}"
    # Complete: cargo resolves the whole workspace from vendor/ alone (an
    # empty CARGO_HOME: nothing from this machine's cache, no network).
    elif (cd "$tree" && CARGO_HOME="$src/cargo-home" cargo metadata --offline --locked \
        --format-version 1 >/dev/null 2>"$src/metadata.log"); then
        pass "the source bundle holds the tree and every crate; cargo resolves it offline from vendor/"
    else
        fail "cargo cannot resolve the source bundle from vendor/:"; sed 's/^/     /' "$src/metadata.log" | tail -n 10
    fi
else
    fail "image/source-bundle.sh:"; sed 's/^/     /' "$src/log" | tail -n 10
fi

# --- 11. provisioning: signed, only when unprovisioned or unlocked, never destroys --
prov="$scratch/provision"
bash "$here/dev-keys.sh" "$prov/keys" 2>/dev/null
bash "$here/dev-keys.sh" "$prov/other-keys" 2>/dev/null
mkdir -p "$prov/kiosk/provision" "$prov/kiosk/data/store" "$prov/kiosk/data/keys"
printf 'kiosk_code = "TYA"\n' >"$prov/kiosk/provision/kiosk.toml"
printf 'the orders' >"$prov/kiosk/data/store/kiosk.db"
printf 'the key' >"$prov/kiosk/data/keys/store.key"
printf 'this kiosk' >"$prov/kiosk/data/device.p12"
snapshot() { (cd "$prov/kiosk" && find . -type f -exec sha256sum {} + | sort); }
run_provision() {
    KIOSK_PROVISION_DEST="$prov/kiosk/provision" KIOSK_DATA_DIR="$prov/kiosk/data" \
        KIOSK_PROVISIONING_CA="$prov/keys/prov-ca.cert.pem" KIOSK_PROVISION_UNLOCK="$prov/unlock" \
        KIOSK_OWNER="$(id -u):$(id -g)" KIOSKCTL=/nonexistent \
        sh "$rootfs/usr/lib/kiosk/provision" --from "$1" --install-only >"$prov/log" 2>&1
}
# A set for kiosk KAB, signed by `$1` (keys dir; none: unsigned).
stick() {
    rm -rf "$prov/stick"
    mkdir -p "$prov/stick/data"
    printf 'kiosk_code = "KAB"\n' >"$prov/stick/kiosk.toml"
    printf 'roots' >"$prov/stick/data/roots.der"
}
sign() { KIOSK_SIGNING_DIR="$1" bash "$here/provisioning-sign.sh" "$prov/stick" 2>/dev/null; }
# Refused, the reason on the console (`$1`), and nothing changed.
refused() {
    local why="$1" before
    before=$(snapshot)
    if run_provision "$prov/stick" || [ "$(snapshot)" != "$before" ] || ! grep -q "refused .*$why" "$prov/log"; then
        fail "provisioning not refused ($why expected) or something changed:"; sed 's/^/     /' "$prov/log"
        return 1
    fi
}
ok_sig=yes
stick; sign "$prov/keys"
refused "this kiosk is provisioned" || ok_sig=no
# Unlocked: the signature is what is checked now.
touch "$prov/unlock"
stick
refused "not signed" || ok_sig=no
stick; sign "$prov/other-keys"
refused "does not verify" || ok_sig=no
stick; sign "$prov/keys"; printf 'kiosk_code = "KAC"\n' >"$prov/stick/kiosk.toml"
refused "not the ones signed" || ok_sig=no
stick; sign "$prov/keys"; printf 'extra' >"$prov/stick/data/extra.der"
refused "not the ones signed" || ok_sig=no
# What a stick (ext4, or one that answers as it likes) may try around the
# signature: a file not listed (a nested MANIFEST too), a link, a FIFO (it
# must not hold up the boot), a name with a newline, a file too large.
stick; sign "$prov/keys"; printf 'unsigned' >"$prov/stick/data/MANIFEST"
refused "not the ones signed" || ok_sig=no
stick; sign "$prov/keys"; ln -s "$prov/kiosk/data/keys/store.key" "$prov/stick/display.conf"
refused "links or special files" || ok_sig=no
stick; sign "$prov/keys"; mkfifo "$prov/stick/data/pipe"
started=$(date +%s)
refused "links or special files" || ok_sig=no
[ $(( $(date +%s) - started )) -lt 10 ] || { ok_sig=no; fail "a FIFO held provisioning up"; }
stick; sign "$prov/keys"
mkdir -p "$prov/stick/data/x
.."
printf 'escaped' >"$prov/stick/data/x
../evil"
refused "not the ones signed" || ok_sig=no
[ ! -e "$prov/kiosk/evil" ] || { ok_sig=no; fail "a name with a newline escaped the data directory"; }
stick; head -c $((17 * 1024 * 1024)) /dev/zero >"$prov/stick/data/big.bin"; sign "$prov/keys"
refused "larger than" || ok_sig=no
# A certificate of the provisioning CA that is not a signer's (a TLS
# server's) is not one.
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=not a signer" \
    -keyout "$prov/server.key" -out "$prov/server.csr" 2>/dev/null
printf 'keyUsage = critical, digitalSignature, keyEncipherment\nextendedKeyUsage = serverAuth\n' >"$prov/server.ext"
openssl x509 -req -in "$prov/server.csr" -CA "$prov/keys/prov-ca.cert.pem" -CAkey "$prov/keys/prov-ca.key.pem" \
    -CAcreateserial -extfile "$prov/server.ext" -days 30 -out "$prov/server.pem" 2>/dev/null
stick
KIOSK_PROVISIONING_CERT="$prov/server.pem" KIOSK_PROVISIONING_KEY="$prov/server.key" \
    bash "$here/provisioning-sign.sh" "$prov/stick" 2>/dev/null
refused "does not verify" || ok_sig=no
# An unlock more than an hour old counts for nothing.
touch -d '2 hours ago' "$prov/unlock"
stick; sign "$prov/keys"
refused "this kiosk is provisioned" || ok_sig=no
touch "$prov/unlock"
[ -e "$prov/unlock" ] || { ok_sig=no; fail "a refused set used up the unlock"; }
[ "$ok_sig" = yes ] &&
    pass "provisioning refuses an unsigned set, another signer's or a non-signer's, a changed, added or too large file, a nested MANIFEST, a link, a FIFO (at once), a name with a newline, and a provisioned kiosk not unlocked (or unlocked over an hour ago)"
ok_own=yes
for own in store/kiosk.db keys/store.key; do
    stick
    mkdir -p "$prov/stick/data/$(dirname "$own")"
    printf 'another kiosk' >"$prov/stick/data/$own"
    sign "$prov/keys"
    touch "$prov/unlock"
    refused "data/${own%%/*}" || ok_own=no
done
[ "$ok_own" = yes ] && pass "a signed set carrying data/store or data/keys is refused and changes nothing"
rm -f "$prov/unlock"
stick
printf 'another kiosk' >"$prov/stick/data/device.p12"
sign "$prov/keys"
touch "$prov/unlock"
if run_provision "$prov/stick" &&
    [ "$(cat "$prov/kiosk/data/device.p12")" = "this kiosk" ] &&
    [ "$(cat "$prov/kiosk/data/roots.der")" = "roots" ] &&
    [ "$(cat "$prov/kiosk/data/store/kiosk.db")" = "the orders" ] &&
    grep -q 'kept this kiosk.s own device.p12' "$prov/log" &&
    grep -q 'KAB' "$prov/kiosk/provision/kiosk.toml" && [ ! -e "$prov/unlock" ]; then
    pass "unlocked, a signed set installs once; its files never overwrite the kiosk's (kept and named)"
else
    fail "a signed set on an unlocked kiosk was not installed as it should be:"; sed 's/^/     /' "$prov/log"
fi
stick; printf 'kiosk_code = "KAD"\n' >"$prov/stick/kiosk.toml"; sign "$prov/keys"
refused "this kiosk is provisioned" && pass "the unlock is used up by the one provisioning"
# A provisioning that fails halfway (the set's data/tls/ where the kiosk
# has a file tls) keeps the settings and the unlock.
printf 'a file' >"$prov/kiosk/data/tls"
stick; mkdir -p "$prov/stick/data/tls"; printf 'x' >"$prov/stick/data/tls/new.pem"
printf 'kiosk_code = "KAE"\n' >"$prov/stick/kiosk.toml"; sign "$prov/keys"
touch "$prov/unlock"
if ! run_provision "$prov/stick" && grep -q KAB "$prov/kiosk/provision/kiosk.toml" && [ -e "$prov/unlock" ]; then
    pass "a provisioning that fails halfway keeps the settings and the unlock"
else
    fail "a provisioning that failed halfway changed the settings or used the unlock:"; sed 's/^/     /' "$prov/log"
fi

echo "host-checks: $failures failure(s) in $(( $(date +%s) - t0 ))s"
[ "$failures" -eq 0 ]
