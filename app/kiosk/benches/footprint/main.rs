//! The kiosk's footprint beside a bare Slint window and a Chromium kiosk,
//! in one run on this machine (BENCHMARKS.md, "Kiosk app: start, memory,
//! frames"):
//!
//! 1. cold start to first frame of the release `kiosk` under Xvfb, offline
//!    (data in a temp dir, no CA): its own figure (`--exit-after-first-frame`)
//!    and, for the kiosk, a bare Slint window (`ui/examples/bare_window.rs`) and
//!    `chromium --kiosk` showing `chromium-home.html` (the home screen as a
//!    static page), the time from spawn until a screenshot of the Xvfb
//!    screen (`xwd`, Debian `x11-apps`) shows the app, and PSS
//!    (`/proc/PID/smaps_rollup`, over the process tree) 1 s later;
//! 2. the release `kiosk` driven through a whole renewal (`kiosk demo`: the
//!    reference CA service, a SoftHSM2 key; taps by `xdotool`, the payment
//!    QR code read from a screenshot and paid through the CA's simulator):
//!    the kiosk process's PSS on home and after 完成, split by what it is
//!    (`/proc/PID/smaps`), and how long the customer waits from 确定 on the
//!    PIN pad to 完成;
//! 3. full-repaint time of the busiest screens (payment with its QR code,
//!    certificate list) with the software renderer at 1080x1920 (Slint's
//!    testing backend in a child process, the kiosk's test harness).
//!
//! `cargo build --release -p kiosk -p kiosk-ui -p ca-service --bins --example
//! bare_window && cargo bench -p kiosk --bench footprint`
//! (`BENCH_N` runs per start figure, 10 by default; `BENCH_FRAMES` repaints,
//! 200 by default). Needs Xvfb, xwd (x11-apps), xdotool, curl, SoftHSM2;
//! Chromium is optional (skipped with a message when missing).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::float_arithmetic,
    reason = "a benchmark: fail loudly, print figures"
)]

mod drive;
#[path = "../../tests/harness/mod.rs"]
mod harness;
mod memory;
mod x11;

use kiosk_tests::softhsm::TestToken;
use kiosk_ui::Screen;
use slint::ComponentHandle;
use std::collections::BTreeMap;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use x11::{HEIGHT, WIDTH, Xvfb};

/// Set in the re-executed child that times repaints: SoftHSM2's directory
/// (its `SOFTHSM2_CONF` is set beside it).
const CHILD: &str = "KIOSK_FOOTPRINT_CHILD";
/// Colours on a drawn home screen (its texts' antialiasing); the bare
/// window's one line of text is enough with 3.
const HOME_COLOURS: usize = 32;

fn main() {
    if let Some(dir) = std::env::var_os(CHILD) {
        repaint_child(Path::new(&dir));
        return;
    }
    let runs = env_usize("BENCH_N", 10);
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| manifest.join("../../target"), PathBuf::from);
    let built = |path: &str| {
        let path = target.join(path);
        assert!(
            path.exists(),
            "{} missing: run `cargo build --release -p kiosk -p kiosk-ui -p ca-service \
             --bins --example bare_window` first",
            path.display()
        );
        path
    };
    // `BENCH_ONLY=application`: only the application's drive
    // (`BENCH_ONLY=drives`: the renewal's too), with the binary
    // `BENCH_KIOSK` names if set (the debug one while a drive itself is
    // worked on: its figures are then not the release's).
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    if only == "application" || only == "drives" {
        let kiosk =
            std::env::var_os("BENCH_KIOSK").map_or_else(|| built("release/kiosk"), PathBuf::from);
        println!("machine: {}", machine());
        println!("kiosk binary: {} ({})", kiosk.display(), age(&kiosk));
        let xvfb = Xvfb::start();
        if only == "drives" {
            let drive_dir = target.join("footprint");
            let _ = std::fs::remove_dir_all(&drive_dir);
            let renewal = drive::renewal(&kiosk, &xvfb, &drive_dir);
            for (what, sample) in [
                ("on home", &renewal.home),
                ("after the renewal", &renewal.after),
            ] {
                println!(
                    "| kiosk {what}: PSS {:.1} MiB ({} threads), heap and anonymous {:.1} MiB |",
                    kib_to_mib(sample.pss_kib),
                    sample.threads,
                    kib_to_mib(sample.breakdown.get(memory::KINDS[5]).copied().unwrap_or(0))
                );
            }
        }
        let drive_dir = target.join("footprint-application");
        let _ = std::fs::remove_dir_all(&drive_dir);
        let application = drive::application(&kiosk, &xvfb, &drive_dir);
        drop(xvfb);
        print_application(&application);
        return;
    }
    let kiosk = built("release/kiosk");
    let bare = built("release/examples/bare_window");
    let _ = built("release/ca-service");
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
    let mut kiosk_home = None;
    for i in 0..runs {
        let config = offline_config(tmp.path(), &format!("ext{i}"));
        let mut cmd = Command::new(&kiosk);
        cmd.arg("--config")
            .arg(&config)
            .env("DISPLAY", &xvfb.display)
            .env("SLINT_BACKEND", "winit-software")
            .env("KIOSK_LOG", "warn")
            .stderr(Stdio::null());
        let (ms, pss, split) = until_shown(&xvfb, &blank, cmd, None, HOME_COLOURS);
        kiosk_shot.push(ms);
        kiosk_pss.push(pss);
        kiosk_home.get_or_insert(split);
    }

    // The anchor: a bare Slint window, same way.
    let mut bare_shot = Vec::new();
    let mut bare_pss = Vec::new();
    let mut bare_split = None;
    for _ in 0..runs {
        let mut cmd = Command::new(&bare);
        cmd.env("DISPLAY", &xvfb.display)
            .env("SLINT_BACKEND", "winit-software")
            .stderr(Stdio::null());
        let (ms, pss, split) = until_shown(&xvfb, &blank, cmd, None, 3);
        bare_shot.push(ms);
        bare_pss.push(pss);
        bare_split.get_or_insert(split);
    }

    // Chromium, same screen, same way.
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
                let (ms, (pss, procs), _) =
                    until_shown(&xvfb, &blank, cmd, Some(&marker), HOME_COLOURS);
                chrome_shot.push(ms);
                chrome_pss.push((pss, procs));
                chrome_procs = chrome_procs.max(procs);
            }
        }
    }

    // 2. The release kiosk through a whole renewal.
    let drive_dir = target.join("footprint");
    let _ = std::fs::remove_dir_all(&drive_dir);
    let renewal = drive::renewal(&kiosk, &xvfb, &drive_dir);
    // And through a whole application, in a demo of its own.
    let application_dir = target.join("footprint-application");
    let _ = std::fs::remove_dir_all(&application_dir);
    let application = drive::application(&kiosk, &xvfb, &application_dir);
    drop(xvfb);

    // 3. Repaint times in a child with its own SoftHSM2 token.
    let frames = repaints_in_child();

    // The tables.
    println!();
    println!(
        "| figure | kiosk (Slint, software renderer) | bare Slint window | Chromium --kiosk |"
    );
    println!("|---|---|---|---|");
    let or_skipped = |v: &[f64]| {
        if v.is_empty() {
            "skipped".to_owned()
        } else {
            stats_ms(v)
        }
    };
    println!(
        "| first frame, own measure (median / min / max ms, n={runs}) | {} | | |",
        stats_ms(&internal)
    );
    println!(
        "| spawn to screenshot showing the app (median / min / max ms) | {} | {} | {} |",
        stats_ms(&kiosk_shot),
        stats_ms(&bare_shot),
        or_skipped(&chrome_shot),
    );
    println!(
        "| one xwd screenshot + check, the external figures' resolution (median / min / max ms) | {} | | |",
        stats_ms(&captures)
    );
    let mib = |v: &[(u64, usize)]| v.iter().map(|(kb, _)| kib_to_mib(*kb)).collect::<Vec<_>>();
    let chrome_mib = mib(&chrome_pss);
    println!(
        "| PSS 1 s after shown, offline (median / min / max MiB) | {} | {} | {} |",
        stats_ms(&mib(&kiosk_pss)),
        stats_ms(&mib(&bare_pss)),
        if chrome_mib.is_empty() {
            "skipped".to_owned()
        } else {
            format!("{} ({chrome_procs} processes)", stats_ms(&chrome_mib))
        }
    );
    println!(
        "| **PSS on home, online, key inserted (MiB)** | {:.1} ({} threads) | | |",
        kib_to_mib(renewal.home.pss_kib),
        renewal.home.threads
    );
    println!(
        "| **PSS after a whole renewal, 1 s after 完成 (MiB)** | {:.1} ({} threads) | | |",
        kib_to_mib(renewal.after.pss_kib),
        renewal.after.threads
    );
    for (name, ms) in &renewal.timings {
        println!("| {name} (ms) | {ms:.0} | | |");
    }
    for (screen, _) in FRAME_SCREENS {
        if let Some(v) = frames.get(&format!("frames_{screen}")) {
            println!(
                "| full repaint of {screen} at {WIDTH}x{HEIGHT} (mean / median / p95 ms) | {v} | | |"
            );
        }
    }

    println!();
    println!(
        "| PSS by kind (MiB) | bare Slint window | kiosk on home, offline | kiosk on home, online | kiosk after the renewal |"
    );
    println!("|---|---|---|---|---|");
    let columns = [
        bare_split.unwrap_or_default(),
        kiosk_home.unwrap_or_default(),
        renewal.home.breakdown.clone(),
        renewal.after.breakdown.clone(),
    ];
    for kind in memory::KINDS {
        print!("| {kind} |");
        for column in &columns {
            print!(
                " {:.1} |",
                kib_to_mib(column.get(kind).copied().unwrap_or(0))
            );
        }
        println!();
    }
    print!("| total |");
    for column in &columns {
        print!(" {:.1} |", kib_to_mib(column.values().sum()));
    }
    println!();
    println!();
    println!(
        "| the program's own file, resident by section (MiB) | kiosk on home, online | kiosk after the renewal |"
    );
    println!("|---|---|---|");
    let mut names: Vec<&String> = renewal.after.file_split.iter().map(|(n, _)| n).collect();
    for (n, _) in &renewal.home.file_split {
        if !names.contains(&n) {
            names.push(n);
        }
    }
    let of = |split: &[(String, u64)], name: &String| {
        split
            .iter()
            .find(|(n, _)| n == name)
            .map_or(0, |(_, kb)| *kb)
    };
    for name in names {
        println!(
            "| {name} | {:.1} | {:.1} |",
            kib_to_mib(of(&renewal.home.file_split, name)),
            kib_to_mib(of(&renewal.after.file_split, name))
        );
    }
    print_application(&application);
    println!();
    println!("screenshots of the drive: {}", renewal.shots.display());
    match &renewal.receipt_preview {
        Some(p) => println!("the printed receipt (preview): {}", p.display()),
        None => println!("no receipt preview was written"),
    }
}

/// The application drive's rows.
fn print_application(application: &drive::ApplicationDrive) {
    println!();
    println!("| the application (release kiosk, Xvfb) | figure |");
    println!("|---|---|");
    println!(
        "| **PSS after a whole application, four documents and the face, 1 s after 提交成功 (MiB)** | **{:.1}** ({} threads) |",
        kib_to_mib(application.after.pss_kib),
        application.after.threads
    );
    for kind in memory::KINDS {
        println!(
            "| of which {kind} (MiB) | {:.1} |",
            kib_to_mib(application.after.breakdown.get(kind).copied().unwrap_or(0))
        );
    }
    for (name, ms) in &application.timings {
        println!("| {name} (ms) | {ms:.0} |");
    }
    for (name, share) in &application.live_view_cpu {
        println!("| face live view, {name} (% of one core) | {share:.0} |");
    }
    println!(
        "screenshots of the application: {}",
        application.shots.display()
    );
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

/// Spawns `cmd` in its own process group, takes screenshots until the app
/// shows, waits 1 s, reads PSS over its processes, then ends the group.
/// Returns ms from spawn to the end of the first screenshot showing the
/// app, (PSS KiB, process count), and the PSS split of the first process.
fn until_shown(
    xvfb: &Xvfb,
    blank: &[u32],
    mut cmd: Command,
    marker: Option<&str>,
    colours: usize,
) -> (f64, (u64, usize), memory::Breakdown) {
    let start = Instant::now();
    let mut child = cmd.process_group(0).stdout(Stdio::null()).spawn().unwrap();
    let shown = loop {
        let shot = xvfb.screenshot();
        if shot.shows_app(blank, colours) {
            break start.elapsed();
        }
        if start.elapsed() > Duration::from_secs(30) {
            let path = std::env::temp_dir().join("footprint-never-shown.png");
            shot.save_png(&path);
            panic!("the app never showed (the screen: {})", path.display());
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the app exited before it showed: {status}");
        }
    };
    std::thread::sleep(Duration::from_secs(1));
    let pss = memory::pss_of_tree(child.id(), marker);
    let split = memory::breakdown(child.id());
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
    (shown.as_secs_f64() * 1000.0, pss, split)
}

/// Re-runs this binary with SoftHSM2 pointed at a fresh token (SoftHSM2
/// reads `SOFTHSM2_CONF` when its module loads) and collects its
/// `FOOTPRINT key=value` lines.
fn repaints_in_child() -> BTreeMap<String, String> {
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
            "repaint child failed ({}):\n{stdout}\n{}",
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
/// backend (software renderer) in this process, on the way of a renewal
/// to its payment screen, timing full repaints of the screens it passes.
fn repaint_child(dir: &Path) {
    let say = |key: &str, value: &str| println!("FOOTPRINT {key}={value}");
    let (_ca, config) = harness::world(dir, "");
    let kiosk = harness::Kiosk::start(&config);
    let frames = env_usize("BENCH_FRAMES", 200);
    kiosk.wait_for(Screen::Home);
    kiosk.touch("更新证书");
    kiosk.wait_for(Screen::Certificates);
    say("frames_certificates", &repaints(&kiosk, frames));
    kiosk.touch("更新此证书");
    kiosk.wait_for(Screen::Pin);
    kiosk.type_pin(kiosk_tests::softhsm::PIN);
    kiosk.wait_for(Screen::Confirm);
    kiosk.touch("确认并提交");
    kiosk.wait_for(Screen::Payment);
    let _ = kiosk.read_qr();
    say("frames_payment", &repaints(&kiosk, frames));
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
