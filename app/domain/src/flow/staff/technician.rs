//! The technician screen (spec §3.7): what a technician signed in with
//! their technician key (a certificate of the staff CA with the
//! technician's role, its PIN, the key's signature over a fresh challenge:
//! the sign-in of staff mode) may do at the kiosk, each step audited with
//! their certificate as the actor:
//!
//! - 设备诊断: the diagnostics of `kioskctl doctor` (the store, each device,
//!   the CA link and the clock), run again on demand;
//! - 打印测试页: the printer's test page; the screen says what the printer
//!   said of it, and printed only when it took it all;
//! - 摄像头预览: the camera's live view (the kiosk's viewfinder, which takes
//!   its turn with the camera), open only on its page and closed with it,
//!   by any lock or by leaving; it keeps no frame.
//!
//! It shares staff mode's session, locks and audit keys (`super`); counter
//! staff never reach it and technicians never reach staff mode's tasks.

use super::{StaffEffect, StaffState, StaffStep, StaffTask, audit, audited};
use crate::audit::AuditAction;
use crate::flow::{SessionId, Step};
use crate::order::attachment::AttachmentKind;
use crate::ports::diagnostics::Report;
use crate::ports::printer::PrintOutcome;
use crate::ports::staff::StaffMember;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// What the technician is doing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TechTask {
    /// The technician screen's menu.
    Menu,
    /// 设备诊断: the report (`None` while the checks run).
    Diagnostics(Option<Box<Report>>),
    /// 打印测试页: whether the page is printing, and what the printer said
    /// of the last one.
    TestPrint {
        printing: bool,
        last: Option<PrintOutcome>,
    },
    /// 摄像头预览: the camera's live view is open.
    Camera,
}

impl TechTask {
    /// Whether something is under way (staff mode does not lock on idle
    /// mid-way, and the menu waits).
    #[must_use]
    pub fn working(&self) -> bool {
        matches!(
            self,
            Self::Diagnostics(None) | Self::TestPrint { printing: true, .. }
        )
    }
}

/// What happens on the technician screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TechEvent {
    /// 设备诊断 on the menu, or 重新检测 on its page.
    Diagnose,
    /// The diagnostics' report.
    Diagnosed(Box<Report>),
    /// 打印测试页 on the menu, or 再打印一张 on its page.
    PrintTestPage,
    /// What the printer said of the test page.
    TestPagePrinted(PrintOutcome),
    /// 摄像头预览 on the menu.
    OpenCamera,
    /// 关闭预览.
    CloseCamera,
}

/// What the live view aims at while the technician looks through it: a
/// document's view (no face check, not mirrored).
pub const PREVIEW: AttachmentKind = AttachmentKind::ApplicationForm;

/// Whether the camera's live view runs in `state`, and for which session:
/// only on the technician screen's 摄像头预览.
#[must_use]
pub fn viewfinder(state: &StaffState) -> Option<(SessionId, AttachmentKind)> {
    match state {
        StaffState::SignedIn {
            session,
            task: StaffTask::Technician(TechTask::Camera),
            ..
        } => Some((*session, PREVIEW)),
        _ => None,
    }
}

/// One step of the technician screen on `task`.
pub(super) fn step(
    task: TechTask,
    event: TechEvent,
    session: SessionId,
    to: impl Fn(StaffTask, OffsetDateTime) -> StaffState,
    member: &StaffMember,
    now: OffsetDateTime,
    touched_at: OffsetDateTime,
) -> StaffStep {
    let tech = |t: TechTask, at| to(StaffTask::Technician(t), at);
    match (task, event) {
        (task, TechEvent::Diagnose) if !task.working() => Step::with(
            tech(TechTask::Diagnostics(None), now),
            vec![StaffEffect::Diagnose { session }],
        ),
        (TechTask::Diagnostics(None), TechEvent::Diagnosed(report)) => {
            let ok = report.ok;
            audited(
                tech(TechTask::Diagnostics(Some(report)), now),
                audit(member, AuditAction::DiagnosticsRun { ok }, now),
            )
        }
        (task, TechEvent::PrintTestPage) if !task.working() => {
            let last = match task {
                TechTask::TestPrint { last, .. } => last,
                _ => None,
            };
            Step::with(
                tech(
                    TechTask::TestPrint {
                        printing: true,
                        last,
                    },
                    now,
                ),
                vec![StaffEffect::PrintTestPage { session }],
            )
        }
        (TechTask::TestPrint { printing: true, .. }, TechEvent::TestPagePrinted(outcome)) => {
            audited(
                tech(
                    TechTask::TestPrint {
                        printing: false,
                        last: Some(outcome),
                    },
                    now,
                ),
                audit(member, AuditAction::TestPagePrinted { outcome }, now),
            )
        }
        (task, TechEvent::OpenCamera) if !task.working() => audited(
            tech(TechTask::Camera, now),
            audit(member, AuditAction::CameraPreviewOpened, now),
        ),
        (TechTask::Camera, TechEvent::CloseCamera) => Step::to(tech(TechTask::Menu, now)),
        // A late answer, or a press while something is under way.
        (task, _) => Step::to(tech(task, touched_at)),
    }
}
