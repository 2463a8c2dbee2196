//! A fault-injecting TCP proxy: each accepted connection gets a fault drawn
//! from a seeded generator.
//!
//! - `Pass`: forwards both ways;
//! - `Drop`: closes the client's connection at once;
//! - `Delay`: waits before forwarding;
//! - `CutRequest`: forwards only part of what the client sends (a reset in
//!   the middle of a body), then closes both sides; every other connection
//!   is also cut, after a larger random budget;
//! - `LoseReply`: forwards the request, lets the server answer, and closes
//!   the client's side before any byte of the reply reaches it (the server
//!   committed; the kiosk does not know).
#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Pass,
    Drop,
    Delay,
    CutRequest,
    LoseReply,
}

/// Counts of faults applied.
#[derive(Debug, Default)]
pub struct Counts {
    pub connections: AtomicU64,
    pub dropped: AtomicU64,
    pub delayed: AtomicU64,
    pub cut: AtomicU64,
    pub replies_lost: AtomicU64,
    /// When the proxy cut a connection or lost its reply, with its own port
    /// towards the server: the server sees that as the client's port, so a
    /// test can tell which answers may never have reached the kiosk.
    pub faulted_ports: std::sync::Mutex<Vec<(u16, std::time::Instant)>>,
}

pub struct Proxy {
    pub addr: SocketAddr,
    pub counts: Arc<Counts>,
}

fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Starts a proxy to `upstream`; `faulty_per_10` of every 10 connections
/// get a fault (spread evenly over the four kinds).
pub async fn start(upstream: SocketAddr, seed: u64, faulty_per_10: u64) -> Proxy {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let counts = Arc::new(Counts::default());
    let c = counts.clone();
    tokio::spawn(async move {
        let mut state = seed;
        loop {
            let Ok((client, _)) = listener.accept().await else {
                return;
            };
            c.connections.fetch_add(1, Ordering::Relaxed);
            let roll = splitmix(&mut state);
            let fault = if roll % 10 >= faulty_per_10 {
                Fault::Pass
            } else {
                match (roll / 10) % 4 {
                    0 => Fault::Drop,
                    1 => Fault::Delay,
                    2 => Fault::CutRequest,
                    _ => Fault::LoseReply,
                }
            };
            // Faulty cuts come early; even a passing connection is cut
            // after a few megabytes, so faults keep coming all run long.
            let cut_after = if fault == Fault::CutRequest {
                200 + (splitmix(&mut state) % 150_000)
            } else {
                100_000 + (splitmix(&mut state) % 1_400_000)
            };
            let counts = c.clone();
            tokio::spawn(async move {
                let _ = handle(client, upstream, fault, cut_after, &counts).await;
            });
        }
    });
    Proxy { addr, counts }
}

async fn handle(
    mut client: TcpStream,
    upstream: SocketAddr,
    fault: Fault,
    cut_after: u64,
    counts: &Counts,
) -> std::io::Result<()> {
    match fault {
        Fault::Drop => {
            counts.dropped.fetch_add(1, Ordering::Relaxed);
            drop(client);
            return Ok(());
        }
        Fault::Delay => {
            counts.delayed.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
        _ => {}
    }
    let mut server = TcpStream::connect(upstream).await?;
    let port = server.local_addr()?.port();
    let (mut cr, mut cw) = client.split();
    let (mut sr, mut sw) = server.split();
    let mut up_buf = vec![0_u8; 64 * 1024];
    let mut down_buf = vec![0_u8; 64 * 1024];
    let mut sent_up: u64 = 0;
    loop {
        tokio::select! {
            n = cr.read(&mut up_buf) => {
                let n = n?;
                if n == 0 { return Ok(()); }
                let mut chunk = &up_buf[..n];
                {
                    let room = usize::try_from(cut_after.saturating_sub(sent_up)).unwrap_or(usize::MAX);
                    if chunk.len() >= room {
                        chunk = &chunk[..room];
                        sw.write_all(chunk).await?;
                        counts.cut.fetch_add(1, Ordering::Relaxed);
                        counts
                            .faulted_ports
                            .lock()
                            .unwrap()
                            .push((port, std::time::Instant::now()));
                        return Ok(()); // both sides closed mid-request
                    }
                }
                sw.write_all(chunk).await?;
                sent_up += u64::try_from(chunk.len()).unwrap_or(u64::MAX);
            }
            n = sr.read(&mut down_buf) => {
                let n = n?;
                if n == 0 { return Ok(()); }
                if fault == Fault::LoseReply {
                    counts.replies_lost.fetch_add(1, Ordering::Relaxed);
                    counts
                            .faulted_ports
                            .lock()
                            .unwrap()
                            .push((port, std::time::Instant::now()));
                    return Ok(()); // the server answered; the client never hears it
                }
                cw.write_all(&down_buf[..n]).await?;
            }
        }
    }
}
