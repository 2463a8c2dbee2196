#!/usr/bin/env python3
"""Drives the kiosk image under QEMU over its serial console (see
qemu-e2e.sh, which prepares WORK: disk.qcow2, vars.fd, stick.img).

The image under test prints markers on the console:
  KIOSK-PROVISION: ...                 kiosk-provision.service
  KIOSK-HEALTH: slot X healthy|failed  kiosk-health.service
  KIOSK-BOOT: slot X marked good       kiosk-mark-good.service
  KIOSK-BOOT: ... rebooting / both slots failed   boot-failed
and the e2e image gives a root shell on the serial console, which runs the
commands a technician would type.
"""

import argparse
import json
import os
import re
import socket
import sys
import time

import pexpect

OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd"
BOOT_TIMEOUT = 900  # TCG on a busy 2-core machine
# The technician's command; E2E_UPDATE=rauc runs RAUC directly instead.
UPDATE = os.environ.get("E2E_UPDATE", "kioskctl update")
RESULTS = []
FAILURES = []


def note(key, value):
    RESULTS.append(f"{key}={value}")
    print(f"e2e: {key}={value}", flush=True)


def check(what, ok, detail=""):
    if ok:
        print(f"e2e: ok   {what}", flush=True)
    else:
        FAILURES.append(what)
        print(f"e2e: FAIL {what} {detail}", flush=True)


class Guest:
    def __init__(self, work):
        self.work = work
        cmd = [
            "qemu-system-x86_64",
            "-machine", "q35", "-accel", "tcg", "-cpu", "max", "-smp", "2", "-m", "2048",
            "-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={OVMF_CODE}",
            "-drive", f"if=pflash,format=raw,unit=1,file={work}/vars.fd",
            "-drive", f"file={work}/disk.qcow2,format=qcow2,if=virtio",
            "-device", "qemu-xhci",
            # An absolute pointer stands in for the touchscreen (QEMU's
            # multi-touch device takes no injected touches).
            "-device", "usb-tablet",
            "-drive", f"if=none,id=stick,file={work}/stick.img,format=raw",
            "-device", "usb-storage,drive=stick,removable=on,id=stickdev",
            "-device", "virtio-gpu-pci", "-display", "none",
            "-device", "i6300esb", "-action", "watchdog=reset",
            "-nic", "user,model=virtio-net-pci",
            "-serial", "stdio",
            "-monitor", f"unix:{work}/monitor.sock,server=on,wait=off",
            "-qmp", f"unix:{work}/qmp.sock,server=on,wait=off",
        ]
        self.log = open(os.path.join(work, "serial.log"), "w", encoding="utf-8", errors="replace")
        self.start = time.monotonic()
        self.child = pexpect.spawn(cmd[0], cmd[1:], encoding="utf-8", codec_errors="replace",
                                   timeout=BOOT_TIMEOUT, maxread=65536)
        self.child.logfile_read = self.log
        self.seq = 0

    def expect(self, patterns, timeout=BOOT_TIMEOUT):
        return self.child.expect(patterns, timeout=timeout)

    def shell(self):
        """Waits for the autologin root shell and quiets the console."""
        for _ in range(30):
            self.child.sendline("")
            try:
                self.child.expect(r"root@kiosk[^\r\n]*# ", timeout=20)
                break
            except pexpect.TIMEOUT:
                continue
        else:
            raise RuntimeError("no root shell on the serial console")
        self.run("export TERM=dumb PAGER=cat SYSTEMD_PAGER=cat; stty -echo cols 400; dmesg -n 1", 60)

    def run(self, command, timeout=300):
        """Runs a shell command; returns (exit status, output)."""
        self.seq += 1
        tag = f"E2E{self.seq}"
        self.child.sendline(f"echo {tag}-BEGIN; {command}; echo {tag}-RC=$?")
        self.child.expect(rf"{tag}-BEGIN\r*\n", timeout=timeout)
        self.child.expect(rf"{tag}-RC=(\d+)", timeout=timeout)
        out = self.child.before
        rc = int(self.child.match.group(1))
        return rc, out.replace("\r", "").strip()

    def monitor(self, command):
        """Sends one command to QEMU's human monitor."""
        with socket.socket(socket.AF_UNIX) as mon:
            mon.connect(os.path.join(self.work, "monitor.sock"))
            mon.sendall(f"{command}\n".encode())
            time.sleep(1)

    def screen(self, path):
        """Saves the display (the firmware's VGA console) as a PPM file through
        QEMU's monitor; returns the fraction of pixels that are not black."""
        if os.path.exists(path):
            os.remove(path)
        self.monitor(f"screendump {path}")
        for _ in range(50):
            if os.path.exists(path) and os.path.getsize(path) > 0:
                time.sleep(0.5)
                break
            time.sleep(0.2)
        pixels = read_ppm(path)
        lit = sum(1 for i in range(0, len(pixels), PIXEL_STEP) if pixels[i:i + 3] != b"\0\0\0")
        return lit / len(range(0, len(pixels), PIXEL_STEP))

    def tap(self, x, y, width=1280, height=800):
        """Touches the display at pixel (x, y): QMP input events to the tablet."""
        def send(events):
            return {"execute": "input-send-event", "arguments": {"events": events}}

        def button(down):
            return send([{"type": "btn", "data": {"down": down, "button": "left"}}])

        move = send([{"type": "abs", "data": {"axis": "x", "value": int(x * 32767 / width)}},
                     {"type": "abs", "data": {"axis": "y", "value": int(y * 32767 / height)}}])
        with socket.socket(socket.AF_UNIX) as qmp:
            qmp.connect(os.path.join(self.work, "qmp.sock"))
            f = qmp.makefile("rw")
            f.readline()
            for command in ({"execute": "qmp_capabilities"}, move, button(True), button(False)):
                f.write(json.dumps(command) + "\n")
                f.flush()
                while True:
                    answer = json.loads(f.readline())
                    if "return" in answer or "error" in answer:
                        break
                if "error" in answer:
                    raise RuntimeError(f"QMP {command['execute']}: {answer['error']}")
                time.sleep(0.2)

    def elapsed(self):
        return time.monotonic() - self.start

    def close(self):
        try:
            self.child.sendline("systemctl poweroff")
            self.child.expect(pexpect.EOF, timeout=120)
        except Exception:  # noqa: BLE001 - best effort
            self.child.terminate(force=True)
        self.log.close()


# Screens are compared on every 7th pixel: quick in Python, plenty for a
# whole-screen change.
PIXEL_STEP = 3 * 7


def read_ppm(path):
    """The RGB bytes of a binary PPM as QEMU's screendump writes it
    (magic, size and maximum value on three lines)."""
    with open(path, "rb") as f:
        for _ in range(3):
            f.readline()
        return f.read()


def screen_difference(a, b):
    """The fraction of pixels that differ between two screendumps (PPM)."""
    pa, pb = read_ppm(a), read_ppm(b)
    if len(pa) != len(pb) or not pa:
        return 1.0
    differ = sum(1 for i in range(0, len(pa), PIXEL_STEP) if pa[i:i + 3] != pb[i:i + 3])
    return differ / len(range(0, len(pa), PIXEL_STEP))


def wait_healthy(g, slot, what):
    t0 = g.elapsed()
    i = g.expect([rf"KIOSK-HEALTH: slot {slot} healthy", r"KIOSK-HEALTH: slot (\w) failed",
                  r"KIOSK-HEALTH: slot (\w) healthy"])
    check(f"{what}: slot {slot} healthy", i == 0, g.child.after)
    if i != 0:
        return None
    dt = g.elapsed() - t0
    i = g.expect([rf"KIOSK-BOOT: slot {slot} marked good", r"KIOSK-BOOT: [^\r\n]*[\r\n]"], timeout=300)
    check(f"{what}: slot {slot} marked good", i == 0, g.child.after)
    return dt


def slot_status(g):
    rc, out = g.run("rauc status --output-format=json-pretty 2>/dev/null | tr -d ' \\n'; echo;"
                    " ls /efi/EFI/Linux | tr '\\n' ' '")
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", required=True)
    parser.add_argument("--good-marker", required=True)
    parser.add_argument("--bundle-url", required=True, help="the unhealthy bundle over HTTP")
    args = parser.parse_args()
    work = args.work

    g = Guest(work)
    try:
        # 1. First boot: slot A, provisioning from the stick, kiosk ready.
        g.expect([r"KIOSK-PROVISION: [^\r\n]*[\r\n]"])
        check("provisioning from the USB stick", "installed kiosk QAT" in g.child.after, g.child.after)
        ready = wait_healthy(g, "A", "first boot")
        note("first_boot_to_kiosk_ready_seconds", round(g.elapsed()))
        g.shell()
        if ready is None:
            rc, out = g.run("journalctl -b --no-pager -u kiosk.service | grep -v Watching | tail -40")
            print("e2e: kiosk.service journal:\n" + out, flush=True)
        rc, out = g.run("for p in ActiveState SubState User NRestarts; do systemctl show -P $p kiosk.service; done"
                        " | tr '\\n' ' '")
        check("kiosk.service active/running as kiosk", out.split()[:3] == ["active", "running", "kiosk"], out)
        rc, out = g.run("ps -o user=,comm= -p $(systemctl show -P MainPID kiosk.service)")
        check("the kiosk is the unit's main process, as user kiosk", out.split() == ["kiosk", "kiosk"], out)
        rc, out = g.run("systemctl show -P ActiveEnterTimestampMonotonic kiosk.service")
        if rc == 0 and out.isdigit():
            # Kernel start to READY=1, which the kiosk sends after its first frame.
            note("kernel_to_first_frame_seconds", round(int(out) / 1e6, 1))
        shot = os.path.join(work, "first-boot-screen.ppm")
        lit = g.screen(shot)
        note("screen_lit_fraction", round(lit, 3))
        check("the kiosk's screen is on the display (QEMU screendump)", lit > 0.2,
              f"{lit:.3f} of the pixels are not black; see {shot}")
        # The stick's display.conf turns the screen 90 degrees: the language
        # button, top right of the portrait home screen, is at the bottom
        # right of the landscape display. Touching it must switch the screen
        # to English, which proves touch input and its rotation.
        g.tap(1222, 712)
        time.sleep(3)
        touched = os.path.join(work, "after-touch-screen.ppm")
        g.screen(touched)
        changed = screen_difference(shot, touched)
        note("screen_changed_fraction_after_touch", round(changed, 3))
        check("a touch on the language button changes the screen", changed > 0.02,
              f"{changed:.3f} of the pixels changed; see {shot} and {touched}")
        # A hung kiosk (stopped, so it neither draws nor pings): systemd's
        # watchdog (WatchdogSec=30s) kills it and starts a new one.
        rc, before = g.run("systemctl show -P MainPID kiosk.service; systemctl show -P NRestarts kiosk.service"
                           " | tr '\\n' ' '")
        g.run("old=$(systemctl show -P MainPID kiosk.service); kill -STOP $old")
        t0 = time.monotonic()
        rc, after = g.run("for i in $(seq 1 150); do sleep 1;"
                          " [ \"$(systemctl show -P MainPID kiosk.service)\" != \"$old\" ] &&"
                          " [ \"$(systemctl show -P ActiveState kiosk.service)\" = active ] && break; done;"
                          " systemctl show -P MainPID kiosk.service; systemctl show -P NRestarts kiosk.service;"
                          " journalctl -b -u kiosk.service -o cat | grep -c 'Watchdog timeout'", 240)
        note("hung_kiosk_back_seconds", round(time.monotonic() - t0))
        b_pid, b_restarts = (before.split() + ["", ""])[:2]
        a_fields = after.split()
        check("a hung kiosk is killed by the watchdog and started again",
              len(a_fields) == 3 and a_fields[0] not in ("0", b_pid)
              and a_fields[1] != b_restarts and a_fields[2] != "0",
              f"before: {before} after (pid, restarts, watchdog lines): {after}")
        rc, out = g.run("cat /run/kiosk/display.env | tr '\\n' ' '; grep -c '^kiosk_code = \"QAT\"' /etc/kiosk/kiosk.toml")
        check("provisioned rotation and kiosk code", "KIOSK_ROTATE=90" in out and out.endswith("1"), out)
        rc, out = g.run("ls -ln /var/lib/kiosk/store /var/lib/kiosk/keys | tr '\\n' ' ';"
                        " lsblk -no PARTLABEL \"$(findmnt -n -o SOURCE --target /var/lib/kiosk | sed 's/\\[.*//')\"")
        check("store on the data partition, owned by kiosk (800)", " 800 800 " in out and out.endswith("data"), out)
        rc, out = g.run(f"{UPDATE} status")
        print(out)
        check(f"{UPDATE} status runs", rc == 0, out)
        g.run("mkdir -p /mnt/stick && mount -o ro /dev/disk/by-label/KIOSKUPD /mnt/stick")

        # 2. Good bundle into B, from the stick; reboot into it.
        t0 = time.monotonic()
        rc, out = g.run(f"{UPDATE} install /mnt/stick/kiosk-good.raucb > /tmp/good.log 2>&1;"
                        " rc=$?; tail -n 5 /tmp/good.log; (exit $rc)", 900)
        check("good bundle install from the stick succeeds", rc == 0, out)
        dt = time.monotonic() - t0
        note("install_good_seconds", round(dt))
        rc2, entries = g.run("ls /efi/EFI/Linux | tr '\\n' ' '")
        check("good bundle installed into B (one try)", "kiosk-2-B+1.efi" in entries, out + " | " + entries)
        g.child.sendline("systemctl reboot")
        t0 = g.elapsed()
        ready = wait_healthy(g, "B", "after the good update")
        note("reboot_into_update_to_ready_seconds", round(g.elapsed() - t0))
        g.shell()
        rc, out = g.run("cat /usr/lib/kiosk/image-version; sed -n 's/.*rauc.slot=\\([AB]\\).*/\\1/p' /proc/cmdline")
        check("running the good update on slot B", args.good_marker in out and out.endswith("B"), out)
        rc, entries = g.run("ls /efi/EFI/Linux | tr '\\n' ' '")
        check("B marked good, A kept as rollback", entries.split() == ["kiosk-1-A.efi", "kiosk-2-B.efi"], entries)
        g.run("mkdir -p /mnt/stick && mount -o ro /dev/disk/by-label/KIOSKUPD /mnt/stick")

        # 3. Wrong signer and tampered payload: refused, slot A untouched.
        t0 = time.monotonic()
        rc, sum_before = g.run("sha256sum /dev/disk/by-partlabel/root-a | cut -c1-64", 900)
        note("sha256_root_a_seconds", round(time.monotonic() - t0))
        for name in ("wrong-signer", "tampered"):
            t0 = time.monotonic()
            rc, out = g.run(f"{UPDATE} install /mnt/stick/kiosk-{name}.raucb > /tmp/{name}.log 2>&1;"
                            f" rc=$?; tail -n 4 /tmp/{name}.log; (exit $rc)", 900)
            note(f"refuse_{name.replace('-', '_')}_seconds", round(time.monotonic() - t0))
            check(f"{name} bundle refused", rc != 0, out)
            print(out)
        rc, entries = g.run("ls /efi/EFI/Linux | tr '\\n' ' '")
        check("boot entries unchanged after the refusals", entries.split() == ["kiosk-1-A.efi", "kiosk-2-B.efi"], entries)
        rc, sum_after = g.run("sha256sum /dev/disk/by-partlabel/root-a | cut -c1-64", 900)
        check("slot A byte-identical after the refusals", sum_before == sum_after and len(sum_after) == 64,
              f"{sum_before} {sum_after}")

        # 4. A bundle whose kiosk never gets ready: automatic rollback to B.
        t0 = time.monotonic()
        rc, out = g.run(f"{UPDATE} install {args.bundle_url} > /tmp/bad.log 2>&1;"
                        " rc=$?; tail -n 3 /tmp/bad.log; (exit $rc)", 900)
        note("install_over_network_seconds", round(time.monotonic() - t0))
        check("unhealthy bundle installs into A over the network", rc == 0, out)
        rc, left = g.run("ls -A /data/rauc/download 2>/dev/null | wc -l")
        check("the downloaded bundle was removed", left.strip() == "0", left)
        g.child.sendline("systemctl reboot")
        t0 = g.elapsed()
        i = g.expect([r"KIOSK-HEALTH: slot A failed[^\r\n]*", r"KIOSK-HEALTH: slot \w healthy"])
        check("the unhealthy slot A fails its health check", i == 0, g.child.after)
        i = g.expect([r"KIOSK-BOOT: slot A failed; rebooting into slot B", r"KIOSK-BOOT: [^\r\n]*[\r\n]"],
                     timeout=120)
        check("boot-failed reboots into slot B", i == 0, g.child.after)
        wait_healthy(g, "B", "after the rollback")
        note("rollback_seconds", round(g.elapsed() - t0))
        g.shell()
        rc, out = g.run("cat /usr/lib/kiosk/image-version; ls /efi/EFI/Linux | tr '\\n' ' '")
        check("back on the good update, A out of tries",
              args.good_marker in out and "kiosk-2-B.efi" in out and re.search(r"kiosk-\d+-A\+0-\d+\.efi", out),
              out)

        # 5. B fails too (a configuration the kiosk refuses): no reboot loop,
        #    a message for the technician. The stick is pulled first, or its
        #    provisioning would replace the broken configuration at boot.
        g.monitor("device_del stickdev")
        g.run("cp /data/provision/kiosk.toml /data/provision/kiosk.toml.good;"
              " echo 'no_such_key = 1' >> /data/provision/kiosk.toml; sync")
        g.child.sendline("systemctl reboot")
        i = g.expect([r"KIOSK-BOOT: both slots failed", r"KIOSK-HEALTH: slot \w healthy"])
        check("both slots failed: stopped", i == 0, g.child.after)
        i = g.expect([r"KIOSK STOPPED", pexpect.TIMEOUT], timeout=60)
        check("technician message on the console", i == 0)
        i = g.expect([r"BdsDxe|KIOSK-HEALTH", pexpect.TIMEOUT], timeout=120)
        check("no further reboot within 2 minutes", i == 1, g.child.after if i == 0 else "")
        g.shell()
        g.run("mv /data/provision/kiosk.toml.good /data/provision/kiosk.toml; sync")
    except (pexpect.TIMEOUT, pexpect.EOF, RuntimeError) as e:
        FAILURES.append(f"aborted: {type(e).__name__}")
        print(f"e2e: aborted: {e}", file=sys.stderr)
    finally:
        g.close()
        note("total_seconds", round(g.elapsed()))
        with open(os.path.join(work, "results.txt"), "a", encoding="utf-8") as f:
            f.write("\n".join(RESULTS) + "\n")
            f.write(f"failures={len(FAILURES)}\n")
            for what in FAILURES:
                f.write(f"failed: {what}\n")
    print(f"e2e: {len(FAILURES)} failure(s); serial log {work}/serial.log", flush=True)
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
