//! The kiosk's footprint beside a Chromium kiosk, in one run on this
//! machine (BENCHMARKS.md, "Kiosk app: start, memory, frames"):
//!
//! 1. cold start to first frame of the release `kiosk` under Xvfb, offline
//!    (data in a temp dir, no CA): its own figure (`--exit-after-first-frame`)
//!    and, for the kiosk and for `chromium --kiosk` showing
//!    `chromium-home.html` (the home screen as a static page), the time from
//!    spawn until a screenshot of the Xvfb screen (`xwd`, Debian `x11-apps`)
//!    shows the app;
//! 2. PSS (`/proc/PID/smaps_rollup`, summed over the process tree) of both
//!    on their home screen, and of a process that has just done a full
//!    renewal through the kiosk's screens (Slint's testing backend, a
//!    SoftHSM2 token, the reference CA service in the same process);
//! 3. full-repaint time of the busiest screens (payment with its QR code,
//!    certificate list) with the software renderer at 1080x1920.
//!
//! `cargo build --release -p kiosk && cargo bench -p kiosk --bench footprint`
//! (`BENCH_N` runs per start figure, 10 by default; `BENCH_FRAMES` repaints,
//! 200 by default). Needs Xvfb, xwd (x11-apps), SoftHSM2; Chromium is
//! optional (skipped with a message when missing).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::cast_precision_loss,
    clippy::float_arithmetic,
    reason = "a benchmark: fail loudly, print figures"
)]

#[path = "../tests/harness/mod.rs"]
mod harness;

use kiosk_tests::softhsm::TestToken;
use kiosk_ui::Screen;
use slint::ComponentHandle;
use std::collections::{BTreeMap, HashSet};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Set in the re-executed child that drives the renewal: SoftHSM2's
/// directory (its `SOFTHSM2_CONF` is set beside it).
const CHILD: &str = "KIOSK_FOOTPRINT_CHILD";
const WIDTH: u32 = 1080;
const HEIGHT: u32 = 1920;

fn main() {
    if let Some(dir) = std::env::var_os(CHILD) {
        renewal_child(Path::new(&dir));
        return;
    }
    let runs = env_usize("BENCH_N", 10);
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| manifest.join("../../target"), PathBuf::from);
    let kiosk = target.join("release/kiosk");
    assert!(
        kiosk.exists(),
        "{} missing: run `cargo build --release -p kiosk` first",
        kiosk.display()
    );
    println!("machine: {}", machine());
    println!("kiosk binary: {} ({})", kiosk.display(), age(&kiosk));

    let tmp = tempfile::tempdir().unwrap();
    let xvfb = Xvfb::start();
    println!(
        "Xvfb {} at {WIDTH}x{HEIGHT}x24, {runs} runs per figure",
        xvfb.display
    );
    let blank = xvfb.screenshot().pixels;
    let captures: Vec<f64> = (0..5)
        .map(|_| {
            let t = Instant::now();
            let _ = xvfb.screenshot();
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();

    // 1. The kiosk: its own figure, then the screenshot.
    let mut internal = Vec::new();
    for i in 0..runs {
        let config = offline_config(tmp.path(), &format!("int{i}"));
        let out = Command::new(&kiosk)
            .args(["--config"])
            .arg(&config)
            .arg("--exit-after-first-frame")
            .env("DISPLAY", &xvfb.display)
            .env("SLINT_BACKEND", "winit-software")
            .env("KIOSK_LOG", "warn")
            .stderr(Stdio::null())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let ms: f64 = stdout
            .split("first frame after ")
            .nth(1)
            .and_then(|s| s.split(' ').next())
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("kiosk said {stdout:?} ({})", out.status));
        internal.push(ms);
    }
    let mut kiosk_shot = Vec::new();
    let mut kiosk_pss = Vec::new();
    for i in 0..runs {
        let config = offline_config(tmp.path(), &format!("ext{i}"));
        let mut cmd = Command::new(&kiosk);
        cmd.arg("--config")
            .arg(&config)
            .env("DISPLAY", &xvfb.display)
            .env("SLINT_BACKEND", "winit-software")
            .env("KIOSK_LOG", "warn")
            .stderr(Stdio::null());
        let (ms, pss) = until_shown(&xvfb, &blank, cmd, None);
        kiosk_shot.push(ms);
        kiosk_pss.push(pss);
    }

    // 4. Chromium, same screen, same way.
    let chromium = which(&["chromium", "chromium-browser"]);
    let mut chrome_shot = Vec::new();
    let mut chrome_pss = Vec::new();
    let mut chrome_procs = 0;
    match &chromium {
        None => println!("chromium: not installed (apt-get install -y chromium), skipped"),
        Some(chromium) => {
            let page = manifest.join("benches/chromium-home.html");
            for i in 0..runs {
                let profile = tmp.path().join(format!("chromium-{i}"));
                let mut cmd = Command::new(chromium);
                cmd.args([
                    "--kiosk",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--no-default-browser-check",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--password-store=basic",
                    "--window-position=0,0",
                    &format!("--window-size={WIDTH},{HEIGHT}"),
                    &format!("--user-data-dir={}", profile.display()),
                    &format!("file://{}", page.canonicalize().unwrap().display()),
                ])
                .env("DISPLAY", &xvfb.display)
                .stderr(Stdio::null());
                let marker = profile.display().to_string();
                let (ms, (pss, procs)) = until_shown(&xvfb, &blank, cmd, Some(&marker));
                chrome_shot.push(ms);
                chrome_pss.push((pss, procs));
                chrome_procs = chrome_procs.max(procs);
            }
        }
    }
    drop(xvfb);

    // 2 and 3. A full renewal in a child process with its own SoftHSM2 token.
    let renewal = renewal_in_child();

    // The table.
    println!();
    println!("| figure | kiosk (Slint, software renderer) | Chromium --kiosk |");
    println!("|---|---|---|");
    println!(
        "| first frame, own measure (median / min / max ms, n={runs}) | {} | |",
        stats_ms(&internal)
    );
    println!(
        "| spawn to screenshot showing home (median / min / max ms) | {} | {} |",
        stats_ms(&kiosk_shot),
        if chrome_shot.is_empty() {
            "skipped".to_owned()
        } else {
            stats_ms(&chrome_shot)
        }
    );
    println!(
        "| one xwd screenshot + check, the external figures' resolution (median / min / max ms) | {} | |",
        stats_ms(&captures)
    );
    let kiosk_mib: Vec<f64> = kiosk_pss.iter().map(|(kb, _)| kib_to_mib(*kb)).collect();
    let chrome_mib: Vec<f64> = chrome_pss.iter().map(|(kb, _)| kib_to_mib(*kb)).collect();
    println!(
        "| PSS on home, 1 s after shown (median / min / max MiB) | {} ({} process) | {} |",
        stats_ms(&kiosk_mib),
        kiosk_pss.iter().map(|(_, n)| *n).max().unwrap_or(0),
        if chrome_mib.is_empty() {
            "skipped".to_owned()
        } else {
            format!("{} ({chrome_procs} processes)", stats_ms(&chrome_mib))
        }
    );
    for (key, label) in [
        (
            "pss_before_kiosk_kib",
            "renewal process: CA service + token, before the kiosk (MiB)",
        ),
        (
            "pss_home_kib",
            "renewal process: + kiosk on home, testing backend (MiB)",
        ),
        (
            "pss_after_renewal_kib",
            "renewal process: after a full renewal (MiB)",
        ),
    ] {
        if let Some(kb) = renewal.get(key).and_then(|v| v.parse::<u64>().ok()) {
            println!("| {label} | {:.1} | |", kib_to_mib(kb));
        }
    }
    if let (Some(home), Some(after)) = (
        renewal
            .get("pss_home_kib")
            .and_then(|v| v.parse::<u64>().ok()),
        renewal
            .get("pss_after_renewal_kib")
            .and_then(|v| v.parse::<u64>().ok()),
    ) {
        let grown = kib_to_mib(after.saturating_sub(home));
        let base = median(&kiosk_mib);
        println!("| renewal's growth (after renewal - on home) (MiB) | {grown:.1} | |");
        println!(
            "| estimate: real kiosk after a full renewal = PSS on home + growth (MiB) | {:.1} | |",
            base + grown
        );
    }
    if let Some(reached) = renewal.get("reached") {
        println!("| renewal reached | {reached} | |");
    }
    for (screen, _) in FRAME_SCREENS {
        if let Some(v) = renewal.get(&format!("frames_{screen}")) {
            println!(
                "| full repaint of {screen} at {WIDTH}x{HEIGHT} (mean / median / p95 ms) | {v} | |"
            );
        }
    }
}

/// Screens whose full repaint is timed, as the renewal passes them.
const FRAME_SCREENS: [(&str, Screen); 2] = [
    ("payment", Screen::Payment),
    ("certificates", Screen::Certificates),
];

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn offline_config(tmp: &Path, name: &str) -> PathBuf {
    let dir = tmp.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("kiosk.toml");
    std::fs::write(
        &path,
        format!("data_dir = \"{}\"\n", dir.join("data").display()),
    )
    .unwrap();
    path
}

fn which(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    names.iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .unwrap_or(0);
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_owned())
        })
        .unwrap_or_default();
    format!(
        "{cpus} cores ({model}), {:.1} GiB",
        mem as f64 / 1024.0 / 1024.0
    )
}

fn age(path: &Path) -> String {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .map_or_else(String::new, |d| format!("built {} s ago", d.as_secs()))
}

fn kib_to_mib(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s.get(s.len() / 2).copied().unwrap_or(f64::NAN)
}

fn stats_ms(v: &[f64]) -> String {
    let min = v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    format!("{:.1} / {min:.1} / {max:.1}", median(v))
}

/// An Xvfb server of our own on a free display, black root.
struct Xvfb {
    child: Child,
    display: String,
}

impl Xvfb {
    fn start() -> Self {
        let n = (90..200)
            .find(|n| {
                !Path::new(&format!("/tmp/.X{n}-lock")).exists()
                    && !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
            })
            .expect("a free X display");
        let display = format!(":{n}");
        let child = Command::new("Xvfb")
            .args([
                &display,
                "-screen",
                "0",
                &format!("{WIDTH}x{HEIGHT}x24"),
                "-nolisten",
                "tcp",
                "-br",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb (Debian xvfb)");
        let socket = format!("/tmp/.X11-unix/X{n}");
        let start = Instant::now();
        while !Path::new(&socket).exists() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "Xvfb never started"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let x = Self { child, display };
        // The socket can exist a moment before the server answers.
        while Command::new("xwd")
            .args(["-root", "-silent", "-display", &x.display])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_or(true, |s| !s.success())
        {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "Xvfb never answered"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        x
    }

    /// The whole screen through `xwd` (Debian `x11-apps`).
    fn screenshot(&self) -> Shot {
        let out = Command::new("xwd")
            .args(["-root", "-silent", "-display", &self.display])
            .output()
            .expect("xwd (Debian x11-apps)");
        assert!(out.status.success(), "xwd failed");
        Shot::from_xwd(&out.stdout)
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        // SIGTERM, so that Xvfb removes its lock file and socket.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

/// Pixels of an XWD dump (32 bits per pixel at depth 24), as raw words.
struct Shot {
    pixels: Vec<u32>,
}

impl Shot {
    fn from_xwd(bytes: &[u8]) -> Self {
        let field = |i: usize| {
            let b = &bytes[i * 4..i * 4 + 4];
            u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize
        };
        let header = field(0);
        let bits_per_pixel = field(11);
        assert_eq!(bits_per_pixel, 32, "xwd: expected 32 bits per pixel");
        let ncolors = field(19);
        let start = header + ncolors * 12;
        let pixels = bytes[start..]
            .chunks_exact(4)
            .map(|b| u32::from_ne_bytes([b[0], b[1], b[2], b[3]]) & 0x00ff_ffff)
            .collect();
        Self { pixels }
    }

    /// Whether an app shows: most of the screen differs from the blank
    /// root, with enough colours that text was drawn (an unpainted window
    /// is one flat colour).
    fn shows_app(&self, blank: &[u32]) -> bool {
        let changed = self
            .pixels
            .iter()
            .zip(blank)
            .filter(|(a, b)| a != b)
            .count();
        if changed * 2 < self.pixels.len() {
            return false;
        }
        let colours: HashSet<u32> = self.pixels.iter().step_by(7).copied().collect();
        colours.len() >= 32
    }
}

/// Spawns `cmd` in its own process group, takes screenshots until the app
/// shows, waits 1 s, reads PSS over its processes, then ends the group.
/// Returns ms from spawn to the end of the first screenshot showing the
/// app, and (PSS KiB, process count).
fn until_shown(
    xvfb: &Xvfb,
    blank: &[u32],
    mut cmd: Command,
    marker: Option<&str>,
) -> (f64, (u64, usize)) {
    let start = Instant::now();
    let mut child = cmd.process_group(0).stdout(Stdio::null()).spawn().unwrap();
    let shown = loop {
        let shot = xvfb.screenshot();
        if shot.shows_app(blank) {
            break start.elapsed();
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the app never showed"
        );
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the app exited before it showed: {status}");
        }
    };
    std::thread::sleep(Duration::from_secs(1));
    let pss = pss_of_tree(child.id(), marker);
    // End only the group we started (its leader is our child).
    let _ = Command::new("kill")
        .args(["-TERM", "--", &format!("-{}", child.id())])
        .status();
    let waited = Instant::now();
    while child.try_wait().ok().flatten().is_none() {
        if waited.elapsed() > Duration::from_secs(5) {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.wait();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // Let the rest of the group (e.g. Chromium's helpers) go before the next run.
    std::thread::sleep(Duration::from_millis(300));
    (shown.as_secs_f64() * 1000.0, pss)
}

/// PSS (KiB) summed over `root` and its descendants, plus any process whose
/// command line holds `marker` (Chromium helpers that left the tree).
fn pss_of_tree(root: u32, marker: Option<&str>) -> (u64, usize) {
    let mut parent = BTreeMap::new();
    let mut tagged = HashSet::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        if let Some(ppid) = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|stat| {
                stat.rsplit_once(')')
                    .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                    .and_then(|p| p.parse::<u32>().ok())
            })
        {
            parent.insert(pid, ppid);
        }
        if marker.is_some_and(|marker| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).contains(marker))
        }) {
            tagged.insert(pid);
        }
    }
    let mut ours: HashSet<u32> = HashSet::from([root]);
    ours.extend(tagged);
    loop {
        let before = ours.len();
        for (pid, ppid) in &parent {
            if ours.contains(ppid) {
                ours.insert(*pid);
            }
        }
        if ours.len() == before {
            break;
        }
    }
    let kb: u64 = ours.iter().filter_map(|pid| pss_kib(*pid)).sum();
    let count = ours.iter().filter(|pid| pss_kib(**pid).is_some()).count();
    (kb, count)
}

fn pss_kib(pid: u32) -> Option<u64> {
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    rollup
        .lines()
        .find(|l| l.starts_with("Pss:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse().ok())
}

/// Re-runs this binary with SoftHSM2 pointed at a fresh token (SoftHSM2
/// reads `SOFTHSM2_CONF` when its module loads) and collects its
/// `FOOTPRINT key=value` lines.
fn renewal_in_child() -> BTreeMap<String, String> {
    let token = TestToken::blank();
    let out = Command::new(std::env::current_exe().unwrap())
        .env("SOFTHSM2_CONF", &token.conf)
        .env(CHILD, &token.dir)
        .env("KIOSK_LOG", "warn")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        eprintln!(
            "renewal child failed ({}):\n{stdout}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    stdout
        .lines()
        .filter_map(|l| l.strip_prefix("FOOTPRINT "))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// In the child: the reference CA service and the kiosk on the testing
/// backend (software renderer) in this process, one full renewal paid by QR.
fn renewal_child(dir: &Path) {
    let me = std::process::id();
    let say = |key: &str, value: &str| println!("FOOTPRINT {key}={value}");
    let (ca, config) = harness::world(dir, "");
    say(
        "pss_before_kiosk_kib",
        &pss_kib(me).unwrap_or(0).to_string(),
    );
    let kiosk = harness::Kiosk::start(&config);
    kiosk.wait_for(Screen::Home);
    std::thread::sleep(Duration::from_secs(1));
    kiosk.port.pump();
    say("pss_home_kib", &pss_kib(me).unwrap_or(0).to_string());
    let frames = env_usize("BENCH_FRAMES", 200);
    let renewed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        renew(&ca, &kiosk, frames);
    }));
    if renewed.is_err() {
        say(
            "reached",
            "stopped early (see the panic above), PSS where it stopped",
        );
    }
    std::thread::sleep(Duration::from_secs(1));
    kiosk.port.pump();
    say(
        "pss_after_renewal_kib",
        &pss_kib(me).unwrap_or(0).to_string(),
    );
}

fn renew(ca: &harness::Ca, kiosk: &harness::Kiosk, frames: usize) {
    let say = |key: &str, value: &str| println!("FOOTPRINT {key}={value}");
    kiosk.touch("更新证书");
    kiosk.wait_for(Screen::Certificates);
    say("reached", "certificates");
    say("frames_certificates", &repaints(kiosk, frames));
    // The rest of `up_to_payment`, step by step so that a renewal that
    // stops early still reports how far it came.
    kiosk.touch("更新此证书");
    kiosk.wait_for(Screen::Pin);
    say("reached", "pin");
    kiosk.type_pin(kiosk_tests::softhsm::PIN);
    kiosk.wait_for(Screen::Confirm);
    say("reached", "confirm");
    kiosk.touch("确认并提交");
    kiosk.wait_for(Screen::Payment);
    let page = kiosk.read_qr();
    say("reached", "payment");
    say("frames_payment", &repaints(kiosk, frames));
    ca.pay(&page);
    kiosk.wait_for(Screen::Done);
    kiosk.wait_text("请取走您的USB Key");
    say("reached", "done (full renewal)");
}

/// `n` full repaints of the current screen into a fresh buffer (the
/// software renderer's `take_snapshot`): "mean / median / p95" in ms.
fn repaints(kiosk: &harness::Kiosk, n: usize) -> String {
    let window = kiosk.ui.window().window();
    let size = window.size();
    assert_eq!((size.width, size.height), (WIDTH, HEIGHT), "window size");
    let _ = window.take_snapshot().unwrap();
    let mut ms: Vec<f64> = (0..n)
        .map(|_| {
            let t = Instant::now();
            let shot = window.take_snapshot().unwrap();
            std::hint::black_box(shot);
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    let mean = ms.iter().sum::<f64>() / ms.len() as f64;
    let p95 = ms[(ms.len() * 95 / 100).min(ms.len() - 1)];
    format!("{mean:.2} / {:.2} / {p95:.2}", median(&ms))
}
