//! The PIN never appears in the logs, even at TRACE.

#![allow(clippy::unwrap_used, reason = "tests")]

mod common;

use common::{USER_PIN, WRONG_PIN, with_token};
use kiosk_domain::flow::renewal::PinOutcome;
use kiosk_domain::ports::key_writer::{KeyWriter, Pin};
use std::io::Write;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn pin_never_appears_in_logs() {
    with_token("pin_never_appears_in_logs", |t| {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let mut w = t.writer();
            let key = t.key(&w);
            let wrong = Pin::new(WRONG_PIN).unwrap();
            tracing::debug!(pin = ?wrong, "formatting a PIN prints a mask");
            assert!(matches!(
                w.verify_pin(&key, wrong).unwrap(),
                PinOutcome::Wrong { .. }
            ));
            let right = Pin::new(USER_PIN).unwrap();
            tracing::info!(pin = %right, "display too");
            assert_eq!(w.verify_pin(&key, right).unwrap(), PinOutcome::Verified);
            w.logout(&key).unwrap();
        });
        let log = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        assert!(log.contains("PIN checked"), "the log was captured: {log}");
        assert!(log.contains("Pin(****)"));
        for secret in [USER_PIN, WRONG_PIN] {
            assert!(!log.contains(secret), "PIN {secret} in the log:\n{log}");
        }
    });
}
