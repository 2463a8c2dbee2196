//! Which USB key is in the writer, by its USB identity (VID:PID), so that the
//! kiosk loads the PKCS#11 module that key's vendor ships and tells the
//! customer plainly when a key is not supported ("暂不支持此类型的USB Key",
//! with its VID:PID for staff) instead of failing somewhere later.
//!
//! Insertion and removal are found by polling the USB device list (every
//! [`INTERVAL`]); a poll costs a few hundred microseconds, and polling works
//! the same with or without libusb's hotplug support.

use rusb::UsbContext;
use std::collections::BTreeSet;
use std::time::Duration;

/// How often the USB bus is looked at: insertions are seen within a second.
pub const INTERVAL: Duration = Duration::from_millis(500);

/// USB class of smart-card readers (CCID): a key that is not in the model
/// list but shows this class is a key the kiosk does not know.
const CLASS_SMART_CARD: u8 = 0x0B;

pub use kiosk_domain::ports::key_model::{KeyModel, UsbId};

/// A USB device as the bus lists it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct UsbDevice {
    pub id: UsbId,
    /// Interface classes of its active configuration.
    pub classes: BTreeSet<u8>,
}

/// What a device on the bus is, for the key writer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recognised {
    /// A supported key: load this model's module.
    Supported(KeyModel),
    /// A key the kiosk has no module for: "not supported", with its VID:PID.
    Unsupported(UsbId),
}

/// Recognises the keys among `devices`; other devices (printer, camera,
/// touch screen) are left out.
#[must_use]
pub fn recognise(devices: &[UsbDevice], models: &[KeyModel]) -> Vec<Recognised> {
    devices
        .iter()
        .filter_map(|d| {
            if let Some(model) = models.iter().find(|m| m.id == d.id) {
                return Some(Recognised::Supported(model.clone()));
            }
            let key_vendor = models
                .iter()
                .any(|m| m.vendor_makes_keys && m.id.vid == d.id.vid);
            (key_vendor || d.classes.contains(&CLASS_SMART_CARD))
                .then_some(Recognised::Unsupported(d.id))
        })
        .collect()
}

/// What changed between two polls.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    pub inserted: Vec<UsbDevice>,
    pub removed: Vec<UsbDevice>,
}

/// The difference between two device lists.
#[must_use]
pub fn diff(before: &[UsbDevice], after: &[UsbDevice]) -> Changes {
    Changes {
        inserted: after
            .iter()
            .filter(|d| !before.contains(d))
            .cloned()
            .collect(),
        removed: before
            .iter()
            .filter(|d| !after.contains(d))
            .cloned()
            .collect(),
    }
}

/// Lists the USB devices on the bus. No bus (a VM, a container) is an empty
/// list, not an error.
///
/// # Errors
/// libusb could not be initialised although the kernel has a USB bus.
pub fn devices() -> Result<Vec<UsbDevice>, rusb::Error> {
    // Without the kernel's USB bus libusb cannot even start (it finds no
    // usbfs): that is a machine without USB, not a failure.
    let no_bus = || !std::path::Path::new("/sys/bus/usb").exists();
    let context = match rusb::Context::new() {
        Ok(context) => context,
        Err(_) if no_bus() => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let list = match context.devices() {
        Ok(list) => list,
        Err(rusb::Error::NoDevice | rusb::Error::NotFound) => return Ok(Vec::new()),
        Err(_) if no_bus() => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for device in list.iter() {
        let Ok(descriptor) = device.device_descriptor() else {
            continue;
        };
        let mut classes = BTreeSet::from([descriptor.class_code()]);
        if let Ok(config) = device.active_config_descriptor() {
            for interface in config.interfaces() {
                classes.extend(interface.descriptors().map(|d| d.class_code()));
            }
        }
        out.push(UsbDevice {
            id: UsbId {
                vid: descriptor.vendor_id(),
                pid: descriptor.product_id(),
            },
            classes,
        });
    }
    out.sort();
    Ok(out)
}

/// Polls the bus and reports changes since the last poll.
#[derive(Debug, Default)]
pub struct UsbWatcher {
    last: Vec<UsbDevice>,
}

impl UsbWatcher {
    /// Looks at the bus once.
    ///
    /// # Errors
    /// libusb could not be initialised.
    pub fn poll(&mut self) -> Result<Changes, rusb::Error> {
        let now = devices()?;
        let changes = diff(&self.last, &now);
        self.last = now;
        Ok(changes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn device(id: &str, classes: &[u8]) -> UsbDevice {
        UsbDevice {
            id: id.parse().unwrap(),
            classes: classes.iter().copied().collect(),
        }
    }

    fn models() -> Vec<KeyModel> {
        vec![KeyModel {
            id: "096e:0703".parse().unwrap(),
            name: "ePass3003".to_owned(),
            module: PathBuf::from("/usr/lib/vendor/libes_3003.so"),
            vendor_makes_keys: true,
        }]
    }

    #[test]
    fn known_keys_unknown_keys_and_other_devices_are_told_apart() {
        let bus = [
            device("096e:0703", &[0x03]),       // the configured model
            device("096e:0999", &[0xFF]),       // another key of a key vendor
            device("1a2b:3c4d", &[0x0B]),       // an unknown smart-card reader
            device("0416:5011", &[0x07]),       // the receipt printer
            device("0c45:6366", &[0x0E, 0x01]), // the camera
        ];
        let found = recognise(&bus, &models());
        assert_eq!(found.len(), 3);
        assert!(matches!(&found[0], Recognised::Supported(m) if m.name == "ePass3003"));
        assert_eq!(
            found[1],
            Recognised::Unsupported("096e:0999".parse().unwrap())
        );
        assert_eq!(
            found[2],
            Recognised::Unsupported("1a2b:3c4d".parse().unwrap())
        );
        // Staff see the identity in the form they look up.
        assert_eq!(
            UsbId {
                vid: 0x1a2b,
                pid: 0x3c4d
            }
            .to_string(),
            "1a2b:3c4d"
        );
    }

    #[test]
    fn insertion_and_removal_are_the_difference_of_two_polls() {
        let printer = device("0416:5011", &[0x07]);
        let key = device("096e:0703", &[0x03]);
        let changes = diff(
            std::slice::from_ref(&printer),
            &[printer.clone(), key.clone()],
        );
        assert_eq!(changes.inserted, vec![key.clone()]);
        assert!(changes.removed.is_empty());
        let changes = diff(&[printer.clone(), key.clone()], &[printer]);
        assert_eq!(changes.removed, vec![key]);
    }

    #[test]
    fn bad_usb_ids_are_refused_with_the_reason() {
        assert!("096e0703".parse::<UsbId>().unwrap_err().contains("VID:PID"));
        assert!("096e:07g3".parse::<UsbId>().unwrap_err().contains("hex"));
    }

    #[test]
    fn a_machine_without_usb_devices_lists_none_and_does_not_fail() {
        // This build machine has no USB bus: the list is empty, not an error.
        let mut watcher = UsbWatcher::default();
        let changes = watcher.poll().unwrap();
        assert!(changes.removed.is_empty());
    }
}
