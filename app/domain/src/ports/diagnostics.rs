//! What the kiosk's diagnostics report (`kioskctl doctor`, and the
//! technician screen's 设备诊断): the store, each device, the CA link and
//! the clock; counts and ages only, never a customer's data. The checks
//! themselves are `kiosk-diagnostics`'s (one implementation for both);
//! these are the values they hand back.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The whole report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub kiosk_code: String,
    pub version: String,
    pub settings: SettingsReport,
    pub store: StoreReport,
    pub devices: Vec<DeviceReport>,
    /// False when anything the kiosk needs to take orders is broken.
    pub ok: bool,
}

/// The settings that decide what customers may do, as configured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsReport {
    pub renewal_opens_days_before_expiry: u32,
    pub renewal_closes_days_after_expiry: u32,
    /// "keep" or "delete": the old certificate after a renewal.
    pub old_certificate: String,
    pub retention_days: u32,
}

/// The kiosk's store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreReport {
    pub path: PathBuf,
    pub key_file: PathBuf,
    /// `None` when the store could not be opened (see `error`).
    pub schema_version: Option<u32>,
    pub queue_depth: Option<u64>,
    /// Orders the CA refused for good, waiting for staff (`kioskctl queue`).
    pub set_aside: Option<u64>,
    /// Age in seconds of the oldest order not yet acknowledged by the CA.
    pub oldest_pending_age_seconds: Option<i64>,
    pub disk_free_bytes: Option<u64>,
    pub error: Option<String>,
}

/// A device and its state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceReport {
    /// `usb_key_writer`, `camera`, `receipt_printer` or `ca_link`.
    pub name: String,
    pub state: DeviceState,
    /// What the device or its driver said, as the driver says it.
    pub detail: String,
}

/// How a device stands.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DeviceState {
    /// Working (a key writer with no key in it is working too).
    Ready,
    /// Configured but not working: the kiosk cannot serve this part.
    Fault,
    /// Not connected; the kiosk works without it (e.g. no camera: staff
    /// check identity in person and scan documents at the counter).
    Absent,
    /// No driver for this device is configured on this kiosk (yet).
    NotConfigured,
}
