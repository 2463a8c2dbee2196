//! Sample screens built from the domain's fixtures, shared by the tests and
//! the `render-screens` example.
#![allow(clippy::unwrap_used, dead_code, reason = "test data")]

use kiosk_domain::fixtures;
use kiosk_domain::flow::SessionId;
use kiosk_domain::flow::renewal::{
    Candidate, EnvironmentProblem, InstallFailure, PaymentQr, PinOutcome, PinPurpose, RenewalState,
};
use kiosk_domain::lang::Lang;
use kiosk_domain::order::OrderDetails;
use kiosk_domain::order::renewal::{CertificateSummary, InstallStep};
use kiosk_ui::Screen;
use kiosk_ui::view_model::{Device, StatusView, ViewContext};
use time::Duration;
use time::macros::datetime;

pub const S: SessionId = SessionId(7);

pub fn ctx() -> ViewContext {
    ViewContext {
        lang: Lang::ZhCn,
        flow: fixtures::step_context(),
    }
}

pub fn status() -> StatusView {
    StatusView {
        online: true,
        queue: 2,
        devices: vec![
            (Device::KeyWriter, Some(true)),
            (Device::Printer, Some(true)),
            (Device::Camera, Some(false)),
        ],
    }
}

fn cert(holder: &str, serial: &str, not_after: time::OffsetDateTime) -> CertificateSummary {
    CertificateSummary {
        holder: holder.to_owned(),
        serial_hex: serial.to_owned(),
        not_before: not_after - Duration::days(365),
        not_after,
        ..fixtures::certificate()
    }
}

pub fn candidates() -> Vec<Candidate> {
    vec![
        Candidate {
            certificate: fixtures::certificate(),
            open_order: None,
        },
        Candidate {
            certificate: cert(
                "山西示例物流有限公司",
                "5E6F7A8B",
                datetime!(2025-06-01 00:00 UTC),
            ),
            open_order: None,
        },
    ]
}

/// What a scene shows: a renewal state, or a screen of its own.
pub enum Scene {
    Renewal(RenewalState),
    Lookup,
    Help,
    Idle(RenewalState),
}

/// Every scene, named for its file.
pub fn all() -> Vec<(&'static str, Scene)> {
    let order = fixtures::renewal_order(1);
    let mut installing = order.clone();
    if let OrderDetails::Renewal(d) = &mut installing.details {
        d.install.step = InstallStep::RequestSent;
    }
    let choosing = RenewalState::ChoosingCertificate {
        session: S,
        candidates: candidates(),
        ca_online: true,
    };
    let renew = PinPurpose::Renew(fixtures::certificate());
    vec![
        ("01-home", Scene::Renewal(RenewalState::Home)),
        (
            "02-environment-checking",
            Scene::Renewal(RenewalState::CheckingEnvironment { session: S }),
        ),
        (
            "03-environment-no-key",
            Scene::Renewal(RenewalState::Blocked {
                session: S,
                problem: EnvironmentProblem::NoKey,
            }),
        ),
        (
            "04-environment-unsupported-key",
            Scene::Renewal(RenewalState::Blocked {
                session: S,
                problem: EnvironmentProblem::UnsupportedKey,
            }),
        ),
        ("05-choose-certificate", Scene::Renewal(choosing.clone())),
        (
            "06-pin",
            Scene::Renewal(RenewalState::EnteringPin {
                session: S,
                purpose: renew.clone(),
                ca_online: true,
                last: Some(PinOutcome::Wrong {
                    tries_left: Some(4),
                    final_try: false,
                }),
            }),
        ),
        (
            "07-pin-final-try",
            Scene::Renewal(RenewalState::EnteringPin {
                session: S,
                purpose: renew,
                ca_online: true,
                last: Some(PinOutcome::Wrong {
                    tries_left: Some(1),
                    final_try: true,
                }),
            }),
        ),
        (
            "08-pin-locked",
            Scene::Renewal(RenewalState::PinLocked { session: S }),
        ),
        (
            "09-confirm",
            Scene::Renewal(RenewalState::CreatingOrder {
                session: S,
                certificate: fixtures::certificate(),
                contact: match &order.details {
                    OrderDetails::Renewal(d) => d.contact.clone(),
                    OrderDetails::Application(_) => unreachable!(),
                },
                invoice: match &order.details {
                    OrderDetails::Renewal(d) => d.invoice.clone(),
                    OrderDetails::Application(_) => unreachable!(),
                },
                ca_online: true,
            }),
        ),
        (
            "10-payment",
            Scene::Renewal(RenewalState::Paying {
                session: S,
                order: Box::new(order.clone()),
                qr: Some(PaymentQr {
                    payment_id: "p1".to_owned(),
                    payload: format!("https://pay.example.cn/q/{}?amount=30000", order.number),
                    expires_at: datetime!(2026-11-23 10:14:05 UTC),
                }),
                ca_online: true,
            }),
        ),
        (
            "11-installing",
            Scene::Renewal(RenewalState::Installing {
                session: S,
                order: Box::new(installing.clone()),
            }),
        ),
        (
            "12-done",
            Scene::Renewal(RenewalState::Done {
                session: S,
                order: order.number,
                valid_until: Some(datetime!(2027-12-10 00:00 UTC)),
                receipt: Some(kiosk_domain::ports::printer::PrintOutcome::Printed),
            }),
        ),
        (
            "13-recovery",
            Scene::Renewal(RenewalState::InstallPending {
                session: S,
                order: Box::new(installing),
                failure: InstallFailure::KeyRemoved,
            }),
        ),
        ("14-lookup", Scene::Lookup),
        ("15-help", Scene::Help),
        ("16-idle-warning", Scene::Idle(choosing)),
    ]
}

/// Shows a scene on `ui`.
pub fn show(ui: &kiosk_ui::KioskUi, scene: &Scene) {
    ui.wipe_session();
    ui.set_status(&status());
    match scene {
        Scene::Renewal(state) => ui.show_renewal(state, &ctx(), true),
        Scene::Lookup => {
            ui.show_screen(Screen::Lookup);
            ui.window()
                .global::<kiosk_ui::LookupAdapter>()
                .set_order_number(fixtures::order_number(1).to_string().into());
            ui.window()
                .global::<kiosk_ui::LookupAdapter>()
                .set_mobile(fixtures::MOBILE.into());
            ui.show_lookup(&kiosk_domain::flow::lookup::LookupState::Open {
                session: S,
                scan: kiosk_domain::flow::lookup::Scan::Idle,
                found: kiosk_domain::flow::lookup::Found::Order(Box::new(fixtures::renewal_order(
                    1,
                ))),
            });
        }
        Scene::Help => {
            ui.set_downloads_url("https://ca.example.cn/downloads");
            ui.show_screen(Screen::Help);
        }
        Scene::Idle(state) => {
            ui.show_renewal(state, &ctx(), true);
            ui.show_idle_warning(Some(25));
        }
    }
}

use slint::ComponentHandle as _;
