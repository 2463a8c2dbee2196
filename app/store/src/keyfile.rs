//! The master key file: 32 random bytes, mode 0600, kept outside the
//! database so that a copy of the database alone opens nothing.
//!
//! The file is created only when it does not exist and the database has
//! never been written with a key (`open.rs` decides). An existing file of the
//! wrong size is an error and is never replaced: a new key would make every
//! order, capture and saved state unreadable.

use crate::crypto::{KEY_LEN, SecretKey};
use crate::error::StoreError;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// Reads the key, or `None` if there is no file at `path`.
pub(crate) fn read(path: &Path) -> Result<Option<SecretKey>, StoreError> {
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(StoreError::io("open the key file", path)(e)),
    };
    let meta = file
        .metadata()
        .map_err(StoreError::io("inspect the key file", path))?;
    let expected = u64::try_from(KEY_LEN).unwrap_or(u64::MAX);
    if meta.len() != expected {
        return Err(StoreError::KeyFileSize {
            path: path.to_owned(),
            found: meta.len(),
        });
    }
    if meta.permissions().mode() & 0o077 != 0 {
        // Readable by others: tighten rather than refuse, the key itself is fine.
        tracing::warn!(path = %path.display(), "key file is readable by other users; setting mode 0600");
        // A read-only mount cannot be fixed from here; the key is still usable.
        if let Err(e) = fs::set_permissions(path, fs::Permissions::from_mode(0o600)) {
            tracing::warn!(path = %path.display(), error = %e, "could not restrict the key file");
        }
    }
    let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
    file.read_exact(bytes.as_mut())
        .map_err(StoreError::io("read the key file", path))?;
    Ok(Some(SecretKey::from_bytes(bytes)))
}

/// Creates a new random key at `path`, atomically: the key is written and
/// synced under a temporary name, then linked into place, so a power cut never
/// leaves a short key file behind. Fails if a key file appeared meanwhile.
pub(crate) fn create(path: &Path) -> Result<SecretKey, StoreError> {
    let dir = parent(path);
    fs::create_dir_all(&dir).map_err(StoreError::io("create the key directory", &dir))?;
    let key = SecretKey::random().map_err(StoreError::Random)?;
    let temp = temp_path(path);
    // A leftover from a crash during an earlier creation was never linked as
    // the key, so nothing was ever sealed with it.
    match fs::remove_file(&temp) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(StoreError::io("remove a stale temporary key", &temp)(e)),
    }
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temp)
        .map_err(StoreError::io("create the key file", &temp))?;
    file.write_all(key.expose())
        .and_then(|()| file.sync_all())
        .map_err(StoreError::io("write the key file", &temp))?;
    drop(file);
    // hard_link fails if `path` exists, unlike rename, which would replace it.
    let linked = fs::hard_link(&temp, path).map_err(StoreError::io("install the key file", path));
    let _ = fs::remove_file(&temp);
    linked?;
    sync_dir(&dir)?;
    tracing::info!(path = %path.display(), "created a new master key");
    Ok(key)
}

fn parent(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    }
}

fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".new");
    path.with_file_name(name)
}

/// Makes a new directory entry durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(StoreError::io("sync the directory", dir))
}
