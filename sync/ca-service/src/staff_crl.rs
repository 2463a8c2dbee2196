//! The staff CA's revocation lists (`--staff-crl`), which kiosks fetch
//! (`GET /v1/staff/crl`) to check staff certificates at sign-in. The staff
//! CA is operated elsewhere: the service publishes the lists its operator
//! gives it, each verified with the staff CA's certificate.
//!
//! Each file (DER, or PEM with one or more `X509 CRL` blocks) is read at
//! start: a list that does not verify stops the start. When a kiosk asks,
//! at most once per [`Options::staff_crl_recheck`](crate::Options) (a
//! minute), each file whose modification time, size or inode changed is
//! read again; a list that no longer verifies is logged and the last good
//! one kept. Replace a file by renaming a new one over it.

use kiosk_sync_wire::hex;
use sha2::{Digest, Sha256};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

/// Why a staff revocation list cannot be published.
#[derive(Debug, thiserror::Error)]
pub enum StaffCrlError {
    #[error("staff revocation lists need the staff CA's certificate (--staff-client-ca)")]
    NoStaffCa,
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0} holds no revocation list (DER, or PEM \"X509 CRL\")")]
    Empty(PathBuf),
    #[error("{path}: revocation list {index} is not the staff CA's: {reason}")]
    NotVerified {
        path: PathBuf,
        /// Its place in the file, from 1.
        index: usize,
        reason: kiosk_x509::VerifyError,
    },
}

/// The answer of `GET /v1/staff/crl`.
#[derive(Debug, serde::Serialize)]
struct StaffCrlsV1 {
    /// Each list, DER, hex: the files' in order, each file's in order.
    crls_der_hex: Vec<String>,
}

/// What is published: the answer's body and its entity tag.
#[derive(Debug)]
pub(crate) struct Published {
    pub(crate) body: Vec<u8>,
    /// Quoted, strong.
    pub(crate) etag: String,
    /// The lists, DER.
    pub(crate) lists: Vec<Vec<u8>>,
}

/// What identifies a file's version without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
    inode: (u64, u64),
}

impl Stamp {
    fn of(meta: &std::fs::Metadata) -> Self {
        Self {
            modified: meta.modified().ok(),
            len: meta.len(),
            inode: (meta.dev(), meta.ino()),
        }
    }
}

/// One file's lists as last read successfully.
#[derive(Debug)]
struct Source {
    path: PathBuf,
    /// The version read; `None` after a failed re-read (read again at the
    /// next check).
    stamp: Option<Stamp>,
    lists: Vec<Vec<u8>>,
}

#[derive(Debug)]
struct State {
    sources: Vec<Source>,
    checked: Instant,
    published: Arc<Published>,
}

/// The configured lists, re-read when their files change.
#[derive(Debug)]
pub(crate) struct StaffCrls {
    issuers: Vec<Vec<u8>>,
    recheck: Duration,
    state: Mutex<State>,
}

impl StaffCrls {
    /// Reads and verifies `files` with the staff CA's certificates
    /// `issuers` (DER); `None` without files.
    pub(crate) fn load(
        files: &[PathBuf],
        issuers: &[Vec<u8>],
        recheck: Duration,
    ) -> Result<Option<Self>, StaffCrlError> {
        if files.is_empty() {
            return Ok(None);
        }
        if issuers.is_empty() {
            return Err(StaffCrlError::NoStaffCa);
        }
        let mut sources = Vec::new();
        for path in files {
            let (stamp, lists) = read(path, issuers)?;
            sources.push(Source {
                path: path.clone(),
                stamp: Some(stamp),
                lists,
            });
        }
        let published = publish(&sources);
        tracing::info!(
            files = sources.len(),
            lists = published.lists.len(),
            "staff revocation lists published"
        );
        Ok(Some(Self {
            issuers: issuers.to_vec(),
            recheck,
            state: Mutex::new(State {
                sources,
                checked: Instant::now(),
                published,
            }),
        }))
    }

    /// The lists now, after re-reading the files that changed when the
    /// last check is the recheck interval old (blocking: file I/O).
    pub(crate) fn current(&self) -> Arc<Published> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.checked.elapsed() >= self.recheck {
            state.checked = Instant::now();
            if self.refresh(&mut state.sources) {
                state.published = publish(&state.sources);
            }
        }
        Arc::clone(&state.published)
    }

    /// Re-reads the sources whose files changed: whether any list did.
    fn refresh(&self, sources: &mut [Source]) -> bool {
        let mut changed = false;
        for source in sources {
            let now = std::fs::metadata(&source.path).map(|m| Stamp::of(&m));
            if now.as_ref().ok() == source.stamp.as_ref() {
                continue;
            }
            match read(&source.path, &self.issuers) {
                Ok((stamp, lists)) => {
                    tracing::info!(
                        path = %source.path.display(),
                        lists = lists.len(),
                        "staff revocation list re-read"
                    );
                    changed |= lists != source.lists;
                    source.stamp = Some(stamp);
                    source.lists = lists;
                }
                Err(e) => {
                    tracing::error!(error = %e, "staff revocation list not replaced: the last good one stays published");
                    source.stamp = None;
                }
            }
        }
        changed
    }
}

/// A file's lists, each verified with one of `issuers`, and the version
/// read.
fn read(path: &Path, issuers: &[Vec<u8>]) -> Result<(Stamp, Vec<Vec<u8>>), StaffCrlError> {
    use std::io::Read;
    let failed = |source| StaffCrlError::Read {
        path: path.to_owned(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(failed)?;
    let stamp = Stamp::of(&file.metadata().map_err(failed)?);
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).map_err(failed)?;
    let lists = if bytes.trim_ascii_start().starts_with(b"-----BEGIN") {
        kiosk_x509::revocation_lists_from_pem(&bytes)
    } else if bytes.is_empty() {
        Vec::new()
    } else {
        vec![bytes]
    };
    if lists.is_empty() {
        return Err(StaffCrlError::Empty(path.to_owned()));
    }
    for (i, der) in lists.iter().enumerate() {
        verify(der, issuers).map_err(|reason| StaffCrlError::NotVerified {
            path: path.to_owned(),
            index: i + 1,
            reason,
        })?;
    }
    Ok((stamp, lists))
}

/// Whether one of `issuers` signed `der`; else why not (the error of the
/// issuer it names, if any is).
fn verify(der: &[u8], issuers: &[Vec<u8>]) -> Result<(), kiosk_x509::VerifyError> {
    let mut why = None;
    for issuer in issuers {
        match kiosk_x509::revoked_serials(der, issuer) {
            Ok(_) => return Ok(()),
            Err(e @ kiosk_x509::VerifyError::UnknownIssuer { .. }) => {
                why.get_or_insert(e);
            }
            Err(e) => why = Some(e),
        }
    }
    Err(why.unwrap_or(kiosk_x509::VerifyError::NoRoots))
}

fn publish(sources: &[Source]) -> Arc<Published> {
    let lists: Vec<Vec<u8>> = sources.iter().flat_map(|s| s.lists.clone()).collect();
    let body = serde_json::to_vec(&StaffCrlsV1 {
        crls_der_hex: lists.iter().map(|der| hex::encode(der)).collect(),
    })
    .unwrap_or_default();
    let etag = format!("\"{}\"", hex::encode(&Sha256::digest(&body)[..16]));
    Arc::new(Published { body, etag, lists })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;
    use kiosk_x509::test_ca::{TestCa, pem};
    use time::OffsetDateTime;

    /// As an operator replaces it: a new file renamed over the old.
    fn replace(path: &Path, bytes: &[u8]) {
        let new = path.with_extension("new");
        std::fs::write(&new, bytes).unwrap();
        std::fs::rename(&new, path).unwrap();
    }

    #[test]
    fn lists_verify_with_the_staff_ca_and_are_read_again_when_changed() {
        let dir = tempfile::tempdir().unwrap();
        let staff = TestCa::new("Staff CA").unwrap();
        let other = TestCa::new("Other CA").unwrap();
        let now = OffsetDateTime::now_utc();
        let first = staff.crl(&[], now, 1).unwrap();
        let path = dir.path().join("staff.crl");
        // PEM, after whitespace.
        std::fs::write(&path, format!("\n{}", pem("X509 CRL", &first))).unwrap();
        // Another staff CA certificate first: any one may have signed.
        let issuers = [
            TestCa::new("Old staff CA").unwrap().root_der(),
            staff.root_der(),
        ];
        let crls = StaffCrls::load(std::slice::from_ref(&path), &issuers, Duration::ZERO)
            .unwrap()
            .unwrap();
        let before = crls.current();
        assert_eq!(before.lists, std::slice::from_ref(&first));

        // Another CA's list: kept the last good one.
        replace(&path, &other.crl(&[], now, 2).unwrap());
        let kept = crls.current();
        assert_eq!(kept.lists, [first]);
        assert_eq!(kept.etag, before.etag);
        // A good one (DER): published, another tag.
        let second = staff.crl(&[], now, 3).unwrap();
        replace(&path, &second);
        let after = crls.current();
        assert_eq!(after.lists, [second]);
        assert_ne!(after.etag, before.etag);

        // At start, any such list is refused.
        std::fs::write(&path, other.crl(&[], now, 4).unwrap()).unwrap();
        let e = StaffCrls::load(
            std::slice::from_ref(&path),
            &[staff.root_der()],
            Duration::ZERO,
        )
        .unwrap_err();
        assert!(
            matches!(e, StaffCrlError::NotVerified { index: 1, .. }),
            "{e}"
        );
        std::fs::write(&path, b"").unwrap();
        let e = StaffCrls::load(
            std::slice::from_ref(&path),
            &[staff.root_der()],
            Duration::ZERO,
        )
        .unwrap_err();
        assert!(matches!(e, StaffCrlError::Empty(_)), "{e}");
        let e = StaffCrls::load(&[path], &[], Duration::ZERO).unwrap_err();
        assert!(matches!(e, StaffCrlError::NoStaffCa), "{e}");
        assert!(StaffCrls::load(&[], &[], Duration::ZERO).unwrap().is_none());
    }
}
