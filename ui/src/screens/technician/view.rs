//! 技术人员: what the technician screen shows of staff mode's state when a
//! technician is signed in: the menu, the diagnostics' report, the test
//! page and what the printer said of it.
#![forbid(unsafe_code)]

use crate::screens::vocabulary::{int, receipt_state};
use crate::{DiagnosedPart, DiagnosedRow, PartState, ReceiptState, TechnicianPage};
use kiosk_domain::flow::staff::{StaffSettings, TechTask};
use kiosk_domain::ports::diagnostics::{DeviceState, Report};
use kiosk_domain::ports::staff::StaffMember;

/// The technician screen.
#[derive(Debug, Clone, PartialEq)]
pub struct TechnicianView {
    pub member: String,
    pub page: TechnicianPage,
    pub lock_minutes: i32,
    pub diagnostics: DiagnosticsView,
    pub printing: bool,
    /// What the printer said of the last test page (`None`: none yet).
    pub test_page: Option<ReceiptState>,
}

/// 设备诊断 as the screen shows it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DiagnosticsView {
    pub running: bool,
    pub all_ok: bool,
    pub kiosk_code: String,
    pub version: String,
    pub parts: Vec<DiagnosedRow>,
    pub store_ok: bool,
    pub store_error: String,
    /// -1: not known (the store did not answer).
    pub queue_depth: i32,
    pub set_aside: i32,
    pub disk_free_mib: i32,
}

fn count(n: Option<u64>) -> i32 {
    n.map_or(-1, |n| i32::try_from(n).unwrap_or(i32::MAX))
}

fn part(name: &str) -> DiagnosedPart {
    match name {
        "usb_key_writer" => DiagnosedPart::KeyWriter,
        "camera" => DiagnosedPart::Camera,
        "receipt_printer" => DiagnosedPart::Printer,
        "ca_link" => DiagnosedPart::CaLink,
        _ => DiagnosedPart::Other,
    }
}

fn state(s: DeviceState) -> PartState {
    match s {
        DeviceState::Ready => PartState::Ready,
        DeviceState::Fault => PartState::Fault,
        DeviceState::Absent => PartState::Absent,
        DeviceState::NotConfigured => PartState::NotConfigured,
    }
}

/// The diagnostics' report in the screens' vocabulary (`None`: running).
#[must_use]
pub fn diagnostics_view(report: Option<&Report>) -> DiagnosticsView {
    let Some(r) = report else {
        return DiagnosticsView {
            running: true,
            store_ok: true,
            queue_depth: -1,
            set_aside: -1,
            disk_free_mib: -1,
            ..DiagnosticsView::default()
        };
    };
    DiagnosticsView {
        running: false,
        all_ok: r.ok,
        kiosk_code: r.kiosk_code.clone(),
        version: r.version.clone(),
        // Faults first, in view without scrolling; the rest as reported.
        parts: r
            .devices
            .iter()
            .filter(|d| d.state == DeviceState::Fault)
            .chain(r.devices.iter().filter(|d| d.state != DeviceState::Fault))
            .map(|d| DiagnosedRow {
                part: part(&d.name),
                state: state(d.state),
                detail: d.detail.as_str().into(),
            })
            .collect(),
        store_ok: r.store.error.is_none(),
        store_error: r.store.error.clone().unwrap_or_default(),
        queue_depth: count(r.store.queue_depth),
        set_aside: count(r.store.set_aside),
        disk_free_mib: count(r.store.disk_free_bytes.map(|b| b / (1024 * 1024))),
    }
}

/// The technician screen for `member` at `task`.
#[must_use]
pub fn technician_view(
    member: &StaffMember,
    settings: &StaffSettings,
    task: &TechTask,
) -> TechnicianView {
    let mut view = TechnicianView {
        member: member.name.clone(),
        page: TechnicianPage::Menu,
        lock_minutes: int(
            usize::try_from(settings.idle_lock.as_secs().div_ceil(60)).unwrap_or(usize::MAX)
        ),
        // Not on its page: nothing running, nothing known.
        diagnostics: DiagnosticsView {
            running: false,
            ..diagnostics_view(None)
        },
        printing: false,
        test_page: None,
    };
    match task {
        TechTask::Menu => {}
        TechTask::Diagnostics(report) => {
            view.page = TechnicianPage::Diagnostics;
            view.diagnostics = diagnostics_view(report.as_deref());
        }
        TechTask::Camera => view.page = TechnicianPage::Camera,
        TechTask::TestPrint { printing, last } => {
            view.page = TechnicianPage::TestPrint;
            view.printing = *printing;
            view.test_page = last.map(|outcome| receipt_state(Some(outcome)));
        }
    }
    view
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiosk_domain::ports::diagnostics::{DeviceReport, SettingsReport, StoreReport};
    use kiosk_domain::ports::printer::PrintOutcome;
    use kiosk_domain::ports::staff::StaffRole;

    fn member() -> StaffMember {
        StaffMember {
            certificate_serial: "7C".to_owned(),
            name: "技术员 李强".to_owned(),
            roles: vec![StaffRole::Technician],
        }
    }

    #[test]
    fn the_report_says_each_part_and_the_printer_only_what_it_said() {
        let report = Report {
            kiosk_code: "K001".to_owned(),
            version: "0.1.0".to_owned(),
            settings: SettingsReport {
                renewal_opens_days_before_expiry: 30,
                renewal_closes_days_after_expiry: 0,
                old_certificate: "keep".to_owned(),
                retention_days: 30,
            },
            store: StoreReport {
                path: "/var/lib/kiosk/kiosk.db".into(),
                key_file: "/k".into(),
                schema_version: Some(12),
                queue_depth: Some(3),
                set_aside: Some(1),
                oldest_pending_age_seconds: Some(60),
                disk_free_bytes: Some(5 * 1024 * 1024),
                error: None,
            },
            devices: vec![
                DeviceReport {
                    name: "ca_link".to_owned(),
                    state: DeviceState::Absent,
                    detail: "unreachable".to_owned(),
                },
                DeviceReport {
                    name: "receipt_printer".to_owned(),
                    state: DeviceState::Fault,
                    detail: "tcp://10.0.0.9:9100: PaperOut".to_owned(),
                },
            ],
            ok: false,
        };
        let v = technician_view(
            &member(),
            &StaffSettings::default(),
            &TechTask::Diagnostics(Some(Box::new(report))),
        );
        assert_eq!(v.page, TechnicianPage::Diagnostics);
        let d = &v.diagnostics;
        assert!(!d.running && !d.all_ok && d.store_ok);
        assert_eq!((d.queue_depth, d.set_aside, d.disk_free_mib), (3, 1, 5));
        assert_eq!(
            d.parts
                .iter()
                .map(|p| (p.part, p.state))
                .collect::<Vec<_>>(),
            [
                (DiagnosedPart::Printer, PartState::Fault),
                (DiagnosedPart::CaLink, PartState::Absent)
            ],
            "faults first"
        );
        let running = technician_view(
            &member(),
            &StaffSettings::default(),
            &TechTask::Diagnostics(None),
        );
        assert!(running.diagnostics.running);
        // Printed only when the printer said so; nothing before a page.
        let page = |printing, last| {
            technician_view(
                &member(),
                &StaffSettings::default(),
                &TechTask::TestPrint { printing, last },
            )
        };
        assert_eq!(page(true, None).test_page, None);
        assert_eq!(
            page(false, Some(PrintOutcome::CoverOpen)).test_page,
            Some(ReceiptState::Failed)
        );
        assert_eq!(
            page(false, Some(PrintOutcome::Printed)).test_page,
            Some(ReceiptState::Printed)
        );
        assert_eq!(page(false, None).lock_minutes, 2);
        // The menu's buttons wait for nothing.
        let menu = technician_view(&member(), &StaffSettings::default(), &TechTask::Menu);
        assert!(!menu.diagnostics.running && !menu.printing);
    }
}
