//! Sample orders with valid, obviously fictitious data, for tests across the
//! workspace (enabled by the `fixtures` feature; never in the kiosk binary).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::money::Fen;
use crate::order::application::{
    ApplicationDetails, Handler, Pickup, Project, SealHolder, SealRole, UnitInfo,
};
use crate::order::identity::IdentityCheck;
use crate::order::renewal::{
    CertificateSummary, Contact, InstallProgress, InvoiceInfo, RenewalDetails,
};
use crate::order::{Order, OrderDetails};
use crate::order_number::{KioskCode, OrderNumber};
use time::macros::{date, datetime};

/// The example number from GB 11643-1999 itself.
pub const RESIDENT_ID: &str = "11010519491231002X";
/// A real, public USCC (a large company's, printed on its licence).
pub const USCC: &str = "91110108551385082Q";
pub const MOBILE: &str = "13800138000";

/// The kiosk code used by fixtures.
#[must_use]
pub fn kiosk() -> KioskCode {
    "TYA".parse().unwrap()
}

/// The `seq`-th order number of the fixture kiosk on 2026-11-23.
#[must_use]
pub fn order_number(seq: u32) -> OrderNumber {
    OrderNumber::new(&kiosk(), date!(2026 - 11 - 23), seq).unwrap()
}

fn invoice() -> InvoiceInfo {
    InvoiceInfo {
        title: "山西示例煤业有限公司".parse().unwrap(),
        taxpayer_id: USCC.parse().unwrap(),
        email: "finance@example.com".parse().unwrap(),
    }
}

/// A certificate on a key, expiring on 2026-12-10 (inside the default window
/// on 2026-11-23).
#[must_use]
pub fn certificate() -> CertificateSummary {
    CertificateSummary {
        holder: "山西示例煤业有限公司".to_owned(),
        uscc: Some(USCC.parse().unwrap()),
        issuer: "SXCA Test CA".to_owned(),
        serial_hex: "1A2B3C4D".to_owned(),
        not_before: datetime!(2025-12-10 00:00 UTC),
        not_after: datetime!(2026-12-10 00:00 UTC),
        key_id_hex: "01".to_owned(),
    }
}

/// A renewal order for 300.00 yuan, awaiting payment.
#[must_use]
pub fn renewal_order(seq: u32) -> Order {
    Order::new(
        order_number(seq),
        datetime!(2026-11-23 10:00 UTC),
        Fen(30_000),
        OrderDetails::Renewal(RenewalDetails {
            old_certificate: certificate(),
            contact: Contact {
                name: "张三".parse().unwrap(),
                mobile: MOBILE.parse().unwrap(),
            },
            invoice: invoice(),
            install: InstallProgress::default(),
            new_certificate: None,
        }),
    )
}

/// Application details with one trader seal, picked up by mail.
#[must_use]
pub fn application_details() -> ApplicationDetails {
    ApplicationDetails {
        agreement_version: "2026-01".to_owned(),
        project: Project {
            code: "COAL".parse().unwrap(),
            name: "煤炭交易中心证书应用".to_owned(),
            price: Fen(40_000),
            seal_price: Fen(10_000),
        },
        unit: UnitInfo {
            name: "山西示例煤业有限公司".parse().unwrap(),
            uscc: USCC.parse().unwrap(),
            address: "山西省太原市小店区示例路1号".parse().unwrap(),
        },
        handler: Handler {
            name: "李四".parse().unwrap(),
            resident_id: RESIDENT_ID.parse().unwrap(),
            mobile: MOBILE.parse().unwrap(),
        },
        seal_holders: vec![SealHolder {
            role: SealRole::Trader,
            name: "王五".parse().unwrap(),
            enterprise_number: None,
            user_number: Some("U1001".parse().unwrap()),
        }],
        invoice: invoice(),
        pickup: Pickup::Mail {
            courier: None,
            recipient: "李四".parse().unwrap(),
            phone: MOBILE.parse().unwrap(),
            address: "山西省太原市小店区示例路1号".parse().unwrap(),
        },
        identity: IdentityCheck::default(),
    }
}

/// An application order (500.00 yuan), pending review.
#[must_use]
pub fn application_order(seq: u32) -> Order {
    let details = application_details();
    let amount = details.amount_due().unwrap();
    Order::new(
        order_number(seq),
        datetime!(2026-11-23 10:00 UTC),
        amount,
        OrderDetails::Application(details),
    )
}

/// The step context of every fixture: 2026-11-23 10:00 UTC, a clock floor of
/// 2026-11-01, the default renewal window, a renewal price of 300.00 yuan,
/// and payments polled every 2 s.
#[must_use]
pub fn step_context() -> crate::flow::StepContext {
    crate::flow::StepContext {
        now: datetime!(2026-11-23 10:00 UTC),
        floor: crate::clock::ClockFloor::new(datetime!(2026-11-01 00:00 UTC)),
        window: crate::renewal_window::RenewalWindow::default(),
        renewal_price: Fen(30_000),
        payment_poll: std::time::Duration::from_secs(2),
    }
}
