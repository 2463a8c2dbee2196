//! A file as a printer: the bytes are appended (created when missing). For
//! development and demos; one-way, so the status is unknown.

use super::Transport;
use crate::error::Error;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug)]
pub struct FileTransport {
    file: File,
    path: PathBuf,
}

impl FileTransport {
    /// Opens `path` for appending, creating it when missing.
    ///
    /// # Errors
    /// The file cannot be created or opened (e.g. its folder is missing).
    pub fn open(path: &Path) -> Result<Self, Error> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|source| Error::Open {
                link: format!("file:{}", path.display()),
                source,
            })?;
        Ok(Self {
            file,
            path: path.to_owned(),
        })
    }
}

impl Transport for FileTransport {
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.file
            .write_all(bytes)
            .and_then(|()| self.file.flush())
            .map_err(|source| Error::Io {
                link: format!("file:{}", self.path.display()),
                source,
            })
    }

    fn read_byte(&mut self) -> Result<Option<u8>, Error> {
        Ok(None)
    }

    fn two_way(&self) -> bool {
        false
    }
}
