//! The window's own parts: the status strip and the notice above it.
#![forbid(unsafe_code)]

use crate::{DeviceHealth, DeviceKind, DeviceRow, NoticeMessage, Screen, StaffCall};
use kiosk_domain::flow::staff_call::{CallFailure, CallScreen, CallView};

/// A device in the status strip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Device {
    KeyWriter,
    Printer,
    Camera,
}

/// The status strip: network, upload queue, devices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusView {
    pub online: bool,
    pub queue: u32,
    /// Each device with what it last reported: `Some(true)` it answers,
    /// `Some(false)` it does not, `None` not known yet (or it cannot say).
    pub devices: Vec<(Device, Option<bool>)>,
}

/// Messages shown above the status strip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// The session ended with the customer's key still in the writer.
    TakeYourKey,
    /// The receipt printer failed: the order is safe, the counter can reprint.
    PrinterFailed,
    /// Something on the kiosk failed (its store, a device); it is trying
    /// again and nothing entered is lost.
    KioskFault,
}

/// The strip as the screen draws it.
#[derive(Debug, Clone, PartialEq)]
pub struct StripView {
    pub online: bool,
    pub queue: i32,
    pub devices: Vec<DeviceRow>,
}

#[must_use]
pub fn strip_view(status: &StatusView) -> StripView {
    StripView {
        online: status.online,
        queue: i32::try_from(status.queue).unwrap_or(i32::MAX),
        devices: status
            .devices
            .iter()
            .map(|(device, health)| DeviceRow {
                device: match device {
                    Device::KeyWriter => DeviceKind::KeyWriter,
                    Device::Printer => DeviceKind::Printer,
                    Device::Camera => DeviceKind::Camera,
                },
                health: match health {
                    None => DeviceHealth::Unknown,
                    Some(true) => DeviceHealth::Answers,
                    Some(false) => DeviceHealth::Silent,
                },
            })
            .collect(),
    }
}

/// The notice's message (`None`: hidden).
#[must_use]
pub fn notice_message(notice: Option<Notice>) -> NoticeMessage {
    match notice {
        None => NoticeMessage::None,
        Some(Notice::TakeYourKey) => NoticeMessage::TakeYourKey,
        Some(Notice::PrinterFailed) => NoticeMessage::PrinterFailed,
        Some(Notice::KioskFault) => NoticeMessage::KioskFault,
    }
}

/// The screen a call for staff was made on, as staff read it.
#[must_use]
pub fn call_screen(screen: Screen) -> CallScreen {
    match screen {
        Screen::Home => CallScreen::Home,
        // Staff mode and the technician screen have no call button: staff
        // are there.
        Screen::Help | Screen::Staff | Screen::Technician => CallScreen::Help,
        Screen::Checking | Screen::Blocked => CallScreen::KeyCheck,
        Screen::Certificates | Screen::Confirm => CallScreen::Renewal,
        Screen::Pin => CallScreen::Pin,
        Screen::PinLocked => CallScreen::PinLocked,
        Screen::Payment | Screen::Counter | Screen::LookupPay | Screen::LookupRemit => {
            CallScreen::Payment
        }
        Screen::Installing | Screen::Done | Screen::Recovery => CallScreen::Install,
        Screen::Lookup => CallScreen::Lookup,
        Screen::ApplyResume
        | Screen::ApplyAgreement
        | Screen::ApplyForm
        | Screen::ApplyCapture
        | Screen::ApplyIdentity
        | Screen::ApplyReview
        | Screen::ApplySubmitted => CallScreen::Application,
        Screen::Pickup => CallScreen::Pickup,
        Screen::Account => CallScreen::Account,
    }
}

/// What the call notice says: the domain's view, one value each.
#[must_use]
pub fn staff_call(call: CallView) -> StaffCall {
    match call {
        CallView::None => StaffCall::None,
        CallView::Calling => StaffCall::Calling,
        CallView::Delivered => StaffCall::Delivered,
        CallView::Acknowledged => StaffCall::Acknowledged,
        CallView::NotDelivered(CallFailure::Offline) => StaffCall::Offline,
        CallView::NotDelivered(CallFailure::Refused) => StaffCall::Refused,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_strip_shows_each_device_as_last_reported() {
        let v = strip_view(&StatusView {
            online: false,
            queue: 3,
            devices: vec![
                (Device::KeyWriter, Some(true)),
                (Device::Printer, Some(false)),
                (Device::Camera, None),
            ],
        });
        assert!(!v.online);
        assert_eq!(v.queue, 3);
        let rows: Vec<_> = v.devices.iter().map(|r| (r.device, r.health)).collect();
        assert_eq!(
            rows,
            [
                (DeviceKind::KeyWriter, DeviceHealth::Answers),
                (DeviceKind::Printer, DeviceHealth::Silent),
                (DeviceKind::Camera, DeviceHealth::Unknown),
            ]
        );
    }

    #[test]
    fn no_notice_hides_it() {
        assert_eq!(notice_message(None), NoticeMessage::None);
        assert_eq!(
            notice_message(Some(Notice::KioskFault)),
            NoticeMessage::KioskFault
        );
    }
}
