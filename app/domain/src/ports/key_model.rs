//! The USB key models a kiosk supports, as its configuration lists them:
//! each model's USB identity (VID:PID) and the PKCS#11 module its vendor
//! ships. Parsed here, so that the configuration is read without the token
//! driver (which recognises the keys on the bus).

use std::fmt;
use std::path::PathBuf;

/// A USB identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UsbId {
    pub vid: u16,
    pub pid: u16,
}

impl fmt::Display for UsbId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04x}:{:04x}", self.vid, self.pid)
    }
}

impl std::str::FromStr for UsbId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (vid, pid) = s
            .split_once(':')
            .ok_or_else(|| format!("{s:?} is not VID:PID (e.g. 096e:0703)"))?;
        let hex = |part: &str| {
            u16::from_str_radix(part, 16)
                .map_err(|_| format!("{part:?} in {s:?} is not 4 hex digits"))
        };
        Ok(Self {
            vid: hex(vid)?,
            pid: hex(pid)?,
        })
    }
}

/// A key model the kiosk supports: its USB identity and its vendor's module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyModel {
    pub id: UsbId,
    pub name: String,
    pub module: PathBuf,
    /// USB vendors whose other products are keys too: an unknown product of
    /// such a vendor is reported as an unsupported key.
    pub vendor_makes_keys: bool,
}
