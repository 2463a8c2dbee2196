//! `kiosk demo` asked to stop with SIGTERM (a service manager, `kill`)
//! stops its kiosk and its CA service with it: nothing is left running.
//! The real binary, its real children, on an Xvfb screen of the test's own.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test, with its location"
)]

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Kills the process when dropped (a failed assertion leaves nothing).
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Kills the demo's whole process group when dropped: its kiosk and CA too,
/// should the test fail before the demo stops them.
struct Group(Child);

impl Drop for Group {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.0.id())])
            .status();
        let _ = self.0.wait();
    }
}

/// An X display of the test's own, on the first free number from 300.
fn xvfb() -> (Killed, String) {
    let n = (300..400)
        .find(|n| {
            !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
                && !Path::new(&format!("/tmp/.X{n}-lock")).exists()
        })
        .expect("a free X display number");
    let server = Command::new("Xvfb")
        .arg(format!(":{n}"))
        .args(["-screen", "0", "1080x1920x24", "-nolisten", "tcp"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("Xvfb (bash scripts/bootstrap.sh installs it)");
    let socket = format!("/tmp/.X11-unix/X{n}");
    let start = Instant::now();
    while !Path::new(&socket).exists() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "Xvfb did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (Killed(server), format!(":{n}"))
}

/// The children of process `pid`.
fn children(pid: u32) -> Vec<u32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|c| c.parse().ok())
        .collect()
}

/// Whether process `pid` still runs (a zombie counts as gone).
fn running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let after = stat.rsplit_once(')')?.1;
            after.split_whitespace().next().map(|s| s != "Z")
        })
        .unwrap_or(false)
}

#[test]
fn a_terminated_demo_stops_its_kiosk_and_its_ca() {
    let kiosk = Path::new(env!("CARGO_BIN_EXE_kiosk"));
    assert!(
        kiosk.with_file_name("ca-service").exists(),
        "kiosk demo runs the ca-service binary beside it: cargo build -p ca-service"
    );
    let dir = tempfile::tempdir().unwrap();
    let (_x, display) = xvfb();
    let mut demo = Command::new(kiosk)
        .args(["demo", "--fresh", "--dir"])
        .arg(dir.path().join("demo"))
        .env("DISPLAY", &display)
        .env("SLINT_BACKEND", "winit-software")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap();
    let pid = demo.id();
    let out = BufReader::new(demo.stdout.take().unwrap());
    let mut demo = Group(demo);
    let (said, heard) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in out.lines().map_while(Result::ok) {
            let _ = said.send(line);
        }
    });
    // Up: the CA answered, the key is provisioned, the kiosk started.
    let start = Instant::now();
    loop {
        let left = Duration::from_secs(120).saturating_sub(start.elapsed());
        match heard.recv_timeout(left) {
            Ok(line) if line.starts_with("kiosk demo: CA service") => break,
            Ok(_) => {}
            Err(e) => panic!("kiosk demo did not come up: {e}"),
        }
    }
    let start = Instant::now();
    let mut started = children(pid);
    while started.len() < 2 {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the kiosk and the CA service: {started:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
        started = children(pid);
    }
    assert!(started.iter().all(|&c| running(c)));

    let killed = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let start = Instant::now();
    let status = loop {
        if let Some(status) = demo.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "kiosk demo did not stop"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(
        status.code(),
        Some(128 + 15),
        "the shell's code for SIGTERM"
    );
    for child in started {
        assert!(!running(child), "process {child} was left running");
    }
}
