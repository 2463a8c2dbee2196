//! The CA's key and certificate in the data directory: made on first
//! start, restored on every later one (`ca/key.p256`, mode 0600, and
//! `ca/cert.der`, each written to a temporary file and renamed).

use kiosk_x509::test_ca::{TestCa, TestCaError};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

const NAME: &str = "Kiosk Reference CA";
/// The demonstration CA's name: never the real CA's, so nobody takes a
/// demonstration certificate for one of its.
pub const DEMO_NAME: &str = "Kiosk Reference CA - demonstrations only";

#[derive(Debug, thiserror::Error)]
pub enum CaError {
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error("test CA: {0}")]
    Ca(#[from] TestCaError),
    #[error("the CA directory holds a key or a certificate but not both")]
    HalfWritten,
}

/// The CA of `dir`, created there if it holds none.
pub fn load_or_create(dir: &Path) -> Result<TestCa, CaError> {
    load_or_create_named(dir, NAME)
}

/// The CA of `dir`, created there as `name` if it holds none.
///
/// # Errors
/// As [`load_or_create`].
pub fn load_or_create_named(dir: &Path, name: &str) -> Result<TestCa, CaError> {
    private_dir(dir)?;
    let key_path = dir.join("key.p256");
    let cert_path = dir.join("cert.der");
    match (key_path.exists(), cert_path.exists()) {
        (true, true) => {
            let key = std::fs::read(&key_path)?;
            let cert = std::fs::read(&cert_path)?;
            // Issue under the name the certificate carries (a CA put in
            // place by a technician or a test may be named otherwise).
            let name = kiosk_x509::summarize(&cert, "")
                .map(|s| s.holder)
                .unwrap_or_else(|_| name.to_owned());
            Ok(TestCa::restore(&name, &key, cert)?)
        }
        (false, false) => {
            let ca = TestCa::new(name)?;
            let (key, cert) = ca.export()?;
            write_atomic(&cert_path, &cert, 0o644)?;
            write_atomic(&key_path, &key, 0o600)?;
            tracing::info!("created a new CA key");
            Ok(ca)
        }
        _ => Err(CaError::HalfWritten),
    }
}

/// Creates `dir` if need be and makes it its owner's only (0700).
///
/// # Errors
/// It cannot be created or its mode set.
pub fn private_dir(dir: &Path) -> Result<(), CaError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    Ok(())
}

/// Creates `path` empty if it does not exist, and makes it its owner's
/// only (0600).
///
/// # Errors
/// It cannot be created or its mode set.
pub fn private_file(path: &Path) -> Result<(), CaError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(())
}

fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<(), CaError> {
    let tmp = path.with_extension("tmp");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)?;
    if let Some(parent) = path.parent() {
        std::fs::File::open(parent)?.sync_all()?;
    }
    Ok(())
}
