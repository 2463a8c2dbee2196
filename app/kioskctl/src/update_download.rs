//! `kioskctl update install URL`: fetches a bundle over HTTP(S) onto the
//! data partition, so that it is installed exactly like one from a USB stick.
//!
//! Where the bundle comes from does not make it trusted: RAUC checks its
//! signature and the pre-install handler reads its whole payload through
//! dm-verity before a slot is touched. This module only has to bring the
//! bytes without filling the disk: a declared length that does not fit is
//! refused before the first byte, a body that grows past the room left is
//! cut off, and the file is removed whatever happens.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};

/// Where downloads go on a kiosk: the data partition (the root slots are
/// read-only to updates and /tmp lives in memory).
pub const DOWNLOAD_DIR: &str = "/data/rauc/download";

/// Room left free on the data partition after a download, for the store,
/// the journal and RAUC's status file.
const KEEP_FREE: u64 = 64 * 1024 * 1024;

/// Never more than this, whatever the disk has (the largest bundle RAUC is
/// configured to accept, `max-bundle-download-size`).
const MAX_BUNDLE: u64 = 2 * 1024 * 1024 * 1024;

/// The system's trust store in the image (Debian's `ca-certificates`).
const SYSTEM_ROOTS: &str = "/etc/ssl/certs/ca-certificates.crt";

/// Whether `source` names a bundle on the network rather than a file.
pub fn is_url(source: &str) -> bool {
    let lower = source.get(..8).unwrap_or(source).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// A downloaded bundle; the file is removed when this is dropped.
#[derive(Debug)]
pub struct Downloaded {
    path: PathBuf,
}

impl Downloaded {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Downloaded {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Downloads `url` into `dir` (created if missing), within the room the
/// file system has left (`KEEP_FREE` kept) and `MAX_BUNDLE`.
pub fn fetch(url: &str, dir: &Path) -> Result<Downloaded> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let room = free_bytes(dir)?.saturating_sub(KEEP_FREE).min(MAX_BUNDLE);
    fetch_within(url, dir, room)
}

/// Free bytes for an unprivileged writer on the file system holding `dir`.
fn free_bytes(dir: &Path) -> Result<u64> {
    let st = nix::sys::statvfs::statvfs(dir)
        .with_context(|| format!("cannot read the free space of {}", dir.display()))?;
    Ok(st.blocks_available().saturating_mul(st.fragment_size()))
}

fn fetch_within(url: &str, dir: &Path, room: u64) -> Result<Downloaded> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the download")?;
    let name = format!("bundle-{}.raucb", std::process::id());
    let target = Downloaded {
        path: dir.join(name),
    };
    runtime.block_on(download(url, &target.path, room))?;
    Ok(target)
}

fn client() -> Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .connect_timeout(Duration::from_secs(20))
        // A stalled transfer ends; a slow one over a poor link does not.
        .read_timeout(Duration::from_secs(60));
    if let Ok(pem) = std::fs::read(SYSTEM_ROOTS) {
        for root in reqwest::Certificate::from_pem_bundle(&pem)
            .with_context(|| format!("cannot read the trusted roots in {SYSTEM_ROOTS}"))?
        {
            builder = builder.add_root_certificate(root);
        }
    }
    builder.build().context("cannot set up HTTPS")
}

async fn download(url: &str, path: &Path, room: u64) -> Result<()> {
    let mut response = client()?
        .get(url)
        .send()
        .await
        .with_context(|| format!("cannot reach {url}"))?;
    if !response.status().is_success() {
        bail!("{url} answered {}: no bundle there", response.status());
    }
    let declared = response.content_length();
    if let Some(length) = declared
        && length > room
    {
        bail!(
            "the bundle at {url} is {} MiB, more than the {} MiB the data partition can take \
             now; nothing was downloaded",
            length / (1024 * 1024),
            room / (1024 * 1024)
        );
    }
    let mut file =
        std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?;
    let mut written: u64 = 0;
    let mut shown = 0;
    while let Some(chunk) = response
        .chunk()
        .await
        .with_context(|| format!("the download from {url} broke off"))?
    {
        written = written.saturating_add(u64::try_from(chunk.len()).unwrap_or(u64::MAX));
        if written > room {
            bail!(
                "the bundle at {url} is larger than the {} MiB the data partition can take; \
                 download stopped and removed",
                room / (1024 * 1024)
            );
        }
        file.write_all(&chunk)
            .with_context(|| format!("cannot write {}", path.display()))?;
        if let Some(total) = declared.filter(|t| *t > 0) {
            let tenth = written.saturating_mul(10) / total;
            if tenth > shown {
                shown = tenth;
                eprintln!("downloaded {}%", tenth * 10);
            }
        }
    }
    if let Some(total) = declared
        && written != total
    {
        bail!("the download from {url} ended after {written} of {total} bytes");
    }
    file.sync_all()
        .with_context(|| format!("cannot write {}", path.display()))?;
    eprintln!("downloaded {url} ({} MiB)", written / (1024 * 1024));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::net::TcpListener;

    /// Serves one HTTP answer (`head` then `body`) to the first connection.
    fn serve_once(head: String, body: Vec<u8>) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        std::thread::spawn(move || {
            if let Ok((mut stream, _)) = listener.accept() {
                let mut request = [0_u8; 4096];
                let _ = stream.read(&mut request);
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&body);
            }
        });
        format!("http://{addr}/kiosk.raucb")
    }

    fn ok_head(length: usize) -> String {
        format!("HTTP/1.1 200 OK\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n")
    }

    fn files_in(dir: &Path) -> usize {
        std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
    }

    #[test]
    fn urls_are_told_from_paths() {
        assert!(is_url("https://updates.example.cn/kiosk.raucb"));
        assert!(is_url("HTTP://10.0.2.2:8000/b.raucb"));
        assert!(!is_url("/mnt/stick/kiosk.raucb"));
        assert!(!is_url("kiosk.raucb"));
        assert!(!is_url("http"));
    }

    #[test]
    fn a_bundle_arrives_whole_and_is_removed_after_use() {
        let dir = tempfile::tempdir().expect("dir");
        let body: Vec<u8> = (0..200_000_u32).map(|i| (i % 251) as u8).collect();
        let url = serve_once(ok_head(body.len()), body.clone());
        let downloaded = fetch_within(&url, dir.path(), 10 * 1024 * 1024).expect("download");
        assert_eq!(std::fs::read(downloaded.path()).expect("read"), body);
        drop(downloaded);
        assert_eq!(files_in(dir.path()), 0, "the bundle is removed once used");
    }

    #[test]
    fn a_declared_length_that_does_not_fit_is_refused_before_downloading() {
        let dir = tempfile::tempdir().expect("dir");
        let url = serve_once(ok_head(5_000_000), vec![0; 1000]);
        let err = fetch_within(&url, dir.path(), 1_000_000).expect_err("too large");
        assert!(
            err.to_string().contains("nothing was downloaded"),
            "{err:#}"
        );
        assert_eq!(files_in(dir.path()), 0);
    }

    #[test]
    fn an_undeclared_body_is_cut_off_at_the_room_left() {
        let dir = tempfile::tempdir().expect("dir");
        let head = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".to_owned();
        let url = serve_once(head, vec![7; 300_000]);
        let err = fetch_within(&url, dir.path(), 100_000).expect_err("too large");
        assert!(
            err.to_string().contains("download stopped and removed"),
            "{err:#}"
        );
        assert_eq!(files_in(dir.path()), 0, "no partial file is left");
    }

    #[test]
    fn a_truncated_download_leaves_nothing() {
        let dir = tempfile::tempdir().expect("dir");
        let url = serve_once(ok_head(100_000), vec![1; 40_000]);
        let err = fetch_within(&url, dir.path(), 10 * 1024 * 1024).expect_err("truncated");
        let text = format!("{err:#}");
        assert!(
            text.contains("broke off") || text.contains("ended after"),
            "{text}"
        );
        assert_eq!(files_in(dir.path()), 0);
    }

    #[test]
    fn a_missing_bundle_is_a_clear_error() {
        let dir = tempfile::tempdir().expect("dir");
        let head = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        let url = serve_once(head.to_owned(), Vec::new());
        let err = fetch_within(&url, dir.path(), 1_000_000).expect_err("404");
        assert!(err.to_string().contains("404"), "{err:#}");
        assert_eq!(files_in(dir.path()), 0);
    }
}
