//! systemd's readiness and watchdog protocol (`sd_notify`), written out
//! because it is one datagram: the unit is `Type=notify` with `WatchdogSec`,
//! and the image's health check counts a boot good only once the kiosk said
//! `READY=1`, which it says after its first frame.
//!
//! Without `NOTIFY_SOCKET` (a developer's shell, tests) every call does nothing.

use std::os::unix::net::UnixDatagram;

/// Sends one notification; `false` when there is no socket or it failed
/// (never fatal: the kiosk works the same without systemd).
pub fn send(state: &str) -> bool {
    std::env::var_os("NOTIFY_SOCKET").is_some_and(|path| send_to(&path, state))
}

/// Sends `state` to the socket at `path` (`@name`: an abstract socket).
fn send_to(path: &std::ffi::OsStr, state: &str) -> bool {
    let Ok(socket) = UnixDatagram::unbound() else {
        return false;
    };
    let bytes = state.as_bytes();
    let sent = if let Some(abstract_name) = path.to_str().and_then(|p| p.strip_prefix('@')) {
        // An abstract socket (Linux): its name starts with a NUL byte.
        abstract_socket(&socket, abstract_name, bytes)
    } else {
        socket.send_to(bytes, path).is_ok()
    };
    if !sent {
        tracing::warn!(state, "sd_notify failed");
    }
    sent
}

fn abstract_socket(socket: &UnixDatagram, name: &str, bytes: &[u8]) -> bool {
    use std::os::linux::net::SocketAddrExt;
    std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())
        .and_then(|addr| socket.send_to_addr(bytes, &addr))
        .is_ok()
}

/// The watchdog interval systemd expects pings within (`WATCHDOG_USEC`),
/// halved as sd_watchdog_enabled(3) advises; `None` without a watchdog.
#[must_use]
pub fn watchdog_interval() -> Option<std::time::Duration> {
    let usec: u64 = std::env::var("WATCHDOG_USEC").ok()?.parse().ok()?;
    (usec > 0).then(|| std::time::Duration::from_micros(usec / 2))
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]
mod tests {
    use super::*;

    #[test]
    fn a_datagram_reaches_the_socket() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify");
        let listener = UnixDatagram::bind(&path).unwrap();
        assert!(send_to(path.as_os_str(), "READY=1"));
        let mut buf = [0_u8; 16];
        let n = listener.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"READY=1");
    }

    #[test]
    fn abstract_sockets_and_missing_ones() {
        use std::os::linux::net::SocketAddrExt;
        let name = format!("kiosk-notify-test-{}", std::process::id());
        let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        let listener = UnixDatagram::bind_addr(&addr).unwrap();
        assert!(send_to(
            std::ffi::OsStr::new(&format!("@{name}")),
            "WATCHDOG=1"
        ));
        let mut buf = [0_u8; 16];
        let n = listener.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"WATCHDOG=1");
        assert!(!send_to(
            std::ffi::OsStr::new("/nonexistent/notify"),
            "READY=1"
        ));
    }
}
