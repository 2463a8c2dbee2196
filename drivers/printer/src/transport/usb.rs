//! A USB printer through libusb (rusb): the device is found by vendor and
//! product ID, its printer interface claimed (the kernel's `usblp` detached
//! while we hold it), bytes go to the bulk OUT endpoint and status answers
//! come back on the bulk IN endpoint when there is one.

use super::Transport;
use crate::error::Error;
use rusb::{Context, DeviceHandle, TransferType, UsbContext};
use std::collections::VecDeque;
use std::fmt;
use std::time::Duration;

pub const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
pub const READ_TIMEOUT: Duration = Duration::from_millis(500);

/// USB interface class of printers.
pub const CLASS_PRINTER: u8 = 0x07;
/// Vendor-specific class, used by many Chinese receipt printers.
pub const CLASS_VENDOR: u8 = 0xff;

/// One endpoint, as the descriptors give it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndpointDesc {
    /// Address, direction in bit 7 (set: IN).
    pub address: u8,
    pub bulk: bool,
}

/// One alternate setting of one interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceDesc {
    pub number: u8,
    pub alt_setting: u8,
    pub class: u8,
    pub endpoints: Vec<EndpointDesc>,
}

/// What we claim and talk to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Selection {
    pub interface: u8,
    pub alt_setting: u8,
    pub out_endpoint: u8,
    /// The bulk IN endpoint for status answers, when the interface has one.
    pub in_endpoint: Option<u8>,
}

/// Picks the interface to print on: a printer-class interface first, then a
/// vendor-specific one, then any other; within each, the first (alternate
/// setting of an) interface that has a bulk OUT endpoint. Prefers a setting
/// that also has a bulk IN endpoint (bidirectional, so status works).
#[must_use]
pub fn select_endpoints(interfaces: &[InterfaceDesc]) -> Option<Selection> {
    let rank = |class: u8| match class {
        CLASS_PRINTER => 0,
        CLASS_VENDOR => 1,
        _ => 2,
    };
    let mut candidates: Vec<(usize, bool, Selection)> = interfaces
        .iter()
        .filter_map(|iface| {
            let first = |inbound: bool| {
                iface
                    .endpoints
                    .iter()
                    .find(|e| e.bulk && (e.address & 0x80 != 0) == inbound)
                    .map(|e| e.address)
            };
            let out_endpoint = first(false)?;
            let in_endpoint = first(true);
            Some((
                rank(iface.class),
                in_endpoint.is_none(),
                Selection {
                    interface: iface.number,
                    alt_setting: iface.alt_setting,
                    out_endpoint,
                    in_endpoint,
                },
            ))
        })
        .collect();
    // Stable: among equals, the descriptor order wins.
    candidates.sort_by_key(|(rank, one_way, _)| (*rank, *one_way));
    candidates.first().map(|(_, _, selection)| *selection)
}

pub struct UsbTransport {
    handle: DeviceHandle<Context>,
    selection: Selection,
    vid: u16,
    pid: u16,
    pending: VecDeque<u8>,
}

impl fmt::Debug for UsbTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UsbTransport")
            .field("vid", &format_args!("{:04x}", self.vid))
            .field("pid", &format_args!("{:04x}", self.pid))
            .field("selection", &self.selection)
            .finish_non_exhaustive()
    }
}

impl UsbTransport {
    /// Finds the first device `vid:pid` and claims its printer interface.
    ///
    /// # Errors
    /// [`Error::UsbNotFound`] (kind `Absent`) when no such device is connected
    /// or the machine has no USB at all; `Busy` when another driver holds it.
    pub fn open(vid: u16, pid: u16) -> Result<Self, Error> {
        let not_found = Error::UsbNotFound { vid, pid };
        let Ok(context) = Context::new() else {
            // No USB subsystem (e.g. a VM without a USB bus).
            return Err(not_found);
        };
        let Ok(devices) = context.devices() else {
            return Err(not_found);
        };
        let device = devices
            .iter()
            .find(|d| {
                d.device_descriptor()
                    .is_ok_and(|desc| desc.vendor_id() == vid && desc.product_id() == pid)
            })
            .ok_or(not_found)?;
        let config = device
            .active_config_descriptor()
            .or_else(|_| device.config_descriptor(0))?;
        let interfaces: Vec<InterfaceDesc> = config
            .interfaces()
            .flat_map(|iface| iface.descriptors())
            .map(|d| InterfaceDesc {
                number: d.interface_number(),
                alt_setting: d.setting_number(),
                class: d.class_code(),
                endpoints: d
                    .endpoint_descriptors()
                    .map(|e| EndpointDesc {
                        address: e.address(),
                        bulk: e.transfer_type() == TransferType::Bulk,
                    })
                    .collect(),
            })
            .collect();
        let selection = select_endpoints(&interfaces).ok_or(Error::UsbNoEndpoint { vid, pid })?;
        let handle = device.open()?;
        // Not supported everywhere; where it is, usblp lets go of the device.
        if let Err(e) = handle.set_auto_detach_kernel_driver(true) {
            tracing::debug!(%e, "no kernel driver auto-detach");
        }
        handle.claim_interface(selection.interface)?;
        if selection.alt_setting != 0 {
            handle.set_alternate_setting(selection.interface, selection.alt_setting)?;
        }
        tracing::info!(vid, pid, ?selection, "USB printer claimed");
        Ok(Self {
            handle,
            selection,
            vid,
            pid,
            pending: VecDeque::new(),
        })
    }
}

impl Drop for UsbTransport {
    fn drop(&mut self) {
        // Give the interface back (and usblp its device); nothing to do on failure.
        let _ = self.handle.release_interface(self.selection.interface);
    }
}

impl Transport for UsbTransport {
    fn write_all(&mut self, mut bytes: &[u8]) -> Result<(), Error> {
        while !bytes.is_empty() {
            let n = self
                .handle
                .write_bulk(self.selection.out_endpoint, bytes, WRITE_TIMEOUT)?;
            if n == 0 {
                return Err(Error::Usb(rusb::Error::Timeout));
            }
            bytes = bytes.get(n..).unwrap_or_default();
        }
        Ok(())
    }

    fn read_byte(&mut self) -> Result<Option<u8>, Error> {
        if let Some(byte) = self.pending.pop_front() {
            return Ok(Some(byte));
        }
        let Some(endpoint) = self.selection.in_endpoint else {
            return Ok(None);
        };
        let mut buf = [0u8; 64];
        match self.handle.read_bulk(endpoint, &mut buf, READ_TIMEOUT) {
            Ok(n) => {
                self.pending.extend(buf.iter().take(n));
                Ok(self.pending.pop_front())
            }
            Err(rusb::Error::Timeout) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn discard_input(&mut self) -> Result<(), Error> {
        self.pending.clear();
        Ok(())
    }

    fn two_way(&self) -> bool {
        self.selection.in_endpoint.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiosk_domain::ports::{DeviceError, DeviceErrorKind};

    fn ep(address: u8, bulk: bool) -> EndpointDesc {
        EndpointDesc { address, bulk }
    }

    fn iface(number: u8, alt: u8, class: u8, endpoints: Vec<EndpointDesc>) -> InterfaceDesc {
        InterfaceDesc {
            number,
            alt_setting: alt,
            class,
            endpoints,
        }
    }

    #[test]
    fn prefers_the_printer_class_and_a_bidirectional_setting() {
        let interfaces = vec![
            // A HID interface with an interrupt IN endpoint only.
            iface(0, 0, 0x03, vec![ep(0x81, false)]),
            // Printer class, unidirectional alternate setting first.
            iface(1, 0, CLASS_PRINTER, vec![ep(0x02, true)]),
            iface(1, 1, CLASS_PRINTER, vec![ep(0x02, true), ep(0x82, true)]),
        ];
        assert_eq!(
            select_endpoints(&interfaces),
            Some(Selection {
                interface: 1,
                alt_setting: 1,
                out_endpoint: 0x02,
                in_endpoint: Some(0x82)
            })
        );
    }

    #[test]
    fn falls_back_to_vendor_specific_then_anything_with_bulk_out() {
        let vendor = vec![
            iface(0, 0, 0x0a, vec![ep(0x03, true)]),
            iface(1, 0, CLASS_VENDOR, vec![ep(0x81, true), ep(0x01, true)]),
        ];
        assert_eq!(
            select_endpoints(&vendor),
            Some(Selection {
                interface: 1,
                alt_setting: 0,
                out_endpoint: 0x01,
                in_endpoint: Some(0x81)
            })
        );
        let other = vec![iface(0, 0, 0x0a, vec![ep(0x03, true)])];
        assert_eq!(
            select_endpoints(&other),
            Some(Selection {
                interface: 0,
                alt_setting: 0,
                out_endpoint: 0x03,
                in_endpoint: None
            })
        );
    }

    #[test]
    fn no_bulk_out_no_printer() {
        let interfaces = vec![
            iface(0, 0, CLASS_PRINTER, vec![ep(0x81, true)]),
            iface(1, 0, 0x03, vec![ep(0x02, false)]),
        ];
        assert_eq!(select_endpoints(&interfaces), None);
        assert_eq!(select_endpoints(&[]), None);
    }

    #[test]
    fn a_missing_device_is_absent() {
        // No such device here (the build machine has no USB printer).
        let err = UsbTransport::open(0xfffe, 0xfffe).unwrap_err();
        assert_eq!(err.kind(), DeviceErrorKind::Absent);
        assert!(err.to_string().contains("fffe:fffe"), "{err}");
    }
}
