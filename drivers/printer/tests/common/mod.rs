//! A simulated printer for the integration tests: it captures every byte it
//! receives and answers `DLE EOT n` the way a real printer does.
#![allow(dead_code, reason = "each test file uses part of this module")]

use kiosk_domain::lang::Lang;
use kiosk_domain::ports::printer::ReceiptContext;
use std::io::{self, Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use time::macros::datetime;

pub const FOLLOW: &str = "https://ca.example.cn/track?order=";

pub fn ctx(lang: Lang) -> ReceiptContext {
    ReceiptContext {
        kiosk_id: "TYA-01".to_owned(),
        printed_at: datetime!(2026-11-23 18:05 +08:00),
        hotline: "0351-0000000".to_owned(),
        follow_url_base: FOLLOW.to_owned(),
        lang,
    }
}

/// The bytes a printer answers to DLE EOT 1, 2 and 4.
#[derive(Debug, Clone, Copy)]
pub struct Answers {
    pub printer: u8,
    pub offline_cause: u8,
    pub paper: u8,
}

pub const HEALTHY: Answers = Answers {
    printer: 0x16,
    offline_cause: 0x12,
    paper: 0x12,
};

/// Offline, stopped at paper end, no paper at the sensor.
pub const PAPER_OUT: Answers = Answers {
    printer: 0x1e,
    offline_cause: 0x32,
    paper: 0x72,
};

/// The printer end of a link, running in a thread until told to stop.
pub struct SimPrinter {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Vec<u8>>,
}

impl SimPrinter {
    /// Serves `port` (which must have a short read timeout). `answers: None`
    /// is a printer that never answers status queries.
    pub fn start<P: Read + Write + Send + 'static>(mut port: P, answers: Option<Answers>) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut captured = Vec::new();
            let mut buf = [0u8; 4096];
            loop {
                match port.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        for &b in &buf[..n] {
                            let len = captured.len();
                            if let Some(a) = answers
                                && len >= 2
                                && captured[len - 2] == 0x10
                                && captured[len - 1] == 0x04
                            {
                                let reply = match b {
                                    1 => a.printer,
                                    2 => a.offline_cause,
                                    _ => a.paper,
                                };
                                port.write_all(&[reply]).unwrap();
                                port.flush().unwrap();
                            }
                            captured.push(b);
                        }
                    }
                    Err(e)
                        if matches!(
                            e.kind(),
                            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
                        ) =>
                    {
                        if stopping.load(Ordering::SeqCst) {
                            break;
                        }
                    }
                    Err(e) => panic!("simulated printer: {e}"),
                }
            }
            captured
        });
        Self { stop, thread }
    }

    /// Stops once nothing more arrives, and returns every byte received.
    pub fn finish(self) -> Vec<u8> {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.join().unwrap()
    }
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
