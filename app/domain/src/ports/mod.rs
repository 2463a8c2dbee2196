//! The capabilities the flows need from the outside world, one trait per
//! device, in the domain's vocabulary. Drivers implement them (a real
//! implementation, and a fake only for hardware that cannot exist on a build
//! machine); the composition root runs the flows' effects through them.
//!
//! Every driver keeps its own rich error type and maps it to a
//! [`DeviceErrorKind`], which is what the flows and screens act on.

pub mod account;
pub mod ca;
pub mod camera;
pub mod counter;
pub mod diagnostics;
pub mod key_model;
pub mod key_writer;
pub mod outbox;
pub mod printer;
pub mod printer_uri;
pub mod staff;
pub mod staff_call;
pub mod store;

use crate::lang::{Lang, Localized};

/// What went wrong with a device, as much as the kiosk needs to know to tell
/// the customer what to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DeviceErrorKind {
    /// The device (or the customer's key) is not there.
    Absent,
    /// The customer's key was pulled out during an operation.
    TokenRemoved,
    /// The key's PIN is locked: staff must unblock it.
    PinLocked,
    /// The token is not logged in (any more): the PIN must be entered again.
    PinRequired,
    /// The device is busy with something else; try again shortly.
    Busy,
    /// The device model is not supported by this kiosk's configuration.
    Unsupported,
    /// The receipt printer has no paper.
    PaperOut,
    /// The receipt printer's cover is open.
    CoverOpen,
    /// Anything else: a fault that staff should look at.
    Other,
}

/// An error a driver reports; generic code acts on its kind.
pub trait DeviceError: std::error::Error {
    fn kind(&self) -> DeviceErrorKind;
}

impl Localized for DeviceErrorKind {
    fn message(&self, lang: Lang) -> String {
        let (zh, en) = match self {
            Self::Absent => (
                "未检测到设备，请联系工作人员",
                "The device is not connected. Please ask staff.",
            ),
            Self::TokenRemoved => (
                "USB Key已拔出，请重新插入后继续",
                "The USB key was removed. Please insert it again to continue.",
            ),
            Self::PinLocked => (
                "PIN码已锁定，请联系工作人员解锁",
                "The PIN is locked. Please ask staff to unlock it.",
            ),
            Self::PinRequired => (
                "请重新输入USB Key的PIN码",
                "Please enter the USB key's PIN again.",
            ),
            Self::Busy => (
                "设备忙，请稍候再试",
                "The device is busy. Please try again in a moment.",
            ),
            Self::Unsupported => (
                "暂不支持此类型的USB Key，请联系工作人员",
                "This type of USB key is not supported. Please ask staff.",
            ),
            Self::PaperOut => (
                "打印机缺纸，请联系工作人员",
                "The printer is out of paper. Please ask staff.",
            ),
            Self::CoverOpen => (
                "打印机盖未关好，请联系工作人员",
                "The printer cover is open. Please ask staff.",
            ),
            Self::Other => (
                "设备故障，请联系工作人员",
                "A device is not working. Please ask staff.",
            ),
        };
        match lang {
            Lang::ZhCn => zh.to_owned(),
            Lang::En => en.to_owned(),
        }
    }
}
