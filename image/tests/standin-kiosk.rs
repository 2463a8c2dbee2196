//! A stand-in for `/usr/bin/kiosk`, used only by the QEMU end-to-end test
//! image (`bash image/build.sh --e2e`) while the real kiosk binary is not in
//! the workspace. It keeps the real kiosk's contract with kiosk.service:
//!
//! - it runs under cage (it waits for cage's Wayland socket),
//! - it opens the store (`kioskctl queue list` creates or opens it in the
//!   configured data directory, as user `kiosk`),
//! - only then it sends READY=1 to $NOTIFY_SOCKET, then WATCHDOG=1 at half
//!   of $WATCHDOG_USEC (which systemd gave cage, its parent).
//!
//! Like the kiosk, it refuses a configuration that kioskctl refuses.
//!
//! Standard library only: `rustc -O -o kiosk standin-kiosk.rs`.

use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::thread::sleep;
use std::time::Duration;

fn notify(message: &str) -> Result<(), String> {
    let Some(path) = std::env::var_os("NOTIFY_SOCKET") else {
        return Err("NOTIFY_SOCKET is not set (not started by systemd?)".to_owned());
    };
    let socket = UnixDatagram::unbound().map_err(|e| format!("socket: {e}"))?;
    let bytes = path.as_encoded_bytes();
    if let Some(name) = bytes.strip_prefix(b"@") {
        use std::os::linux::net::SocketAddrExt;
        let addr = std::os::unix::net::SocketAddr::from_abstract_name(name)
            .map_err(|e| format!("abstract socket name: {e}"))?;
        socket
            .send_to_addr(message.as_bytes(), &addr)
            .map_err(|e| format!("send to NOTIFY_SOCKET: {e}"))?;
    } else {
        socket
            .send_to(message.as_bytes(), PathBuf::from(path))
            .map_err(|e| format!("send to NOTIFY_SOCKET: {e}"))?;
    }
    Ok(())
}

fn wait_for_wayland() -> Result<(), String> {
    let dir = std::env::var_os("XDG_RUNTIME_DIR").ok_or("XDG_RUNTIME_DIR is not set")?;
    let display = std::env::var_os("WAYLAND_DISPLAY").ok_or("WAYLAND_DISPLAY is not set")?;
    let socket = Path::new(&dir).join(display);
    for _ in 0..100 {
        if socket.exists() {
            return Ok(());
        }
        sleep(Duration::from_millis(100));
    }
    Err(format!("no Wayland socket at {}", socket.display()))
}

fn open_store(config: Option<&str>) -> Result<(), String> {
    let mut command = Command::new("/usr/bin/kioskctl");
    if let Some(config) = config {
        command.args(["--config", config]);
    }
    let status = command
        .args(["queue", "list"])
        .status()
        .map_err(|e| format!("kioskctl: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("kioskctl queue list: {status}"))
    }
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let config = args
        .iter()
        .position(|a| a == "--config")
        .and_then(|i| args.get(i + 1))
        .map(String::as_str);
    wait_for_wayland()?;
    open_store(config)?;
    notify("READY=1\nSTATUS=stand-in kiosk: store open, compositor up")?;
    eprintln!("standin-kiosk: ready");
    let interval = std::env::var("WATCHDOG_USEC")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(Duration::from_secs(10), |us| Duration::from_micros(us / 2));
    loop {
        sleep(interval);
        notify("WATCHDOG=1")?;
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("standin-kiosk: {e}");
            ExitCode::FAILURE
        }
    }
}
