//! New certificate and e-seal application (数字证书及电子印章申请, spec §3.2).
//!
//! 服务协议 → 证书用途 → 单位信息 → 经办人 → 印章持有人 → 开票信息 → 领取方式 →
//! 上传附件 → 人脸识别同意 → 实人认证 → 确认提交. Payment comes later, after the
//! CA's review, through order lookup.
//!
//! The draft lives in the flow state, which the runtime saves after every
//! step, so nothing the customer typed is lost to a power cut. Captures are
//! referred to by their content hash; their bytes sit in the store.
//!
//! Face images (人脸识别技术应用安全管理办法): taken only after the capture
//! consent, sent to the CA only after the separate upload consent; refusing
//! the upload discards the image. Staff confirmation in person is always
//! offered beside the face check.

use super::driver::{Flow, Signal, Timer};
use super::{SessionId, Step, StepContext};
use crate::account::AccountUnit;
use crate::audit::{Actor, AuditAction, AuditEntry};
use crate::ids::ResidentId;
use crate::money::Fen;
use crate::order::application::{
    ApplicationDetails, Handler, MAX_SEAL_HOLDERS, Pickup, Project, SealHolder, UnitInfo,
};
use crate::order::attachment::{AttachmentKind, MediaType};
use crate::order::identity::{IdentityCheck, IdentityOutcome};
use crate::order::renewal::InvoiceInfo;
use crate::order::text::{PersonName, Reference};
use crate::order_number::OrderNumber;
use crate::ports::printer::{ApplicationForm, PrintOutcome};
use crate::ports::staff::{SignInRefusal, StaffMember, StaffRole};
use serde::{Deserialize, Serialize};

/// The pages of the application, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Page {
    Agreement,
    Project,
    Unit,
    Handler,
    SealHolders,
    Invoice,
    Pickup,
    Attachments,
    FaceConsent,
    IdentityCheck,
    Review,
}

impl Page {
    /// Every page, in the order the customer goes through them.
    pub const ORDER: [Page; 11] = [
        Page::Agreement,
        Page::Project,
        Page::Unit,
        Page::Handler,
        Page::SealHolders,
        Page::Invoice,
        Page::Pickup,
        Page::Attachments,
        Page::FaceConsent,
        Page::IdentityCheck,
        Page::Review,
    ];

    /// Where the page is in [`Page::ORDER`] (0 for the agreement).
    #[must_use]
    pub fn index(self) -> usize {
        Self::ORDER.iter().position(|p| *p == self).unwrap_or(0)
    }

    fn next(self) -> Page {
        let i = Self::ORDER.iter().position(|p| *p == self).unwrap_or(0);
        Self::ORDER.get(i + 1).copied().unwrap_or(Page::Review)
    }

    fn previous(self) -> Option<Page> {
        let i = Self::ORDER.iter().position(|p| *p == self)?;
        i.checked_sub(1).and_then(|j| Self::ORDER.get(j).copied())
    }
}

/// A capture stored on the kiosk, referred to by content hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaptureRef {
    pub kind: AttachmentKind,
    pub media_type: MediaType,
    pub size: u32,
    pub sha256_hex: String,
}

/// What the customer has entered so far.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Draft {
    pub agreement_version: String,
    pub agreement_scrolled: bool,
    pub project: Option<Project>,
    pub unit: Option<UnitInfo>,
    pub handler: Option<Handler>,
    pub seal_holders: Vec<SealHolder>,
    pub invoice: Option<InvoiceInfo>,
    pub pickup: Option<Pickup>,
    pub captures: Vec<CaptureRef>,
    pub identity: IdentityCheck,
    /// The capture the camera is taking now (one at a time).
    #[serde(default)]
    pub capturing: Option<AttachmentKind>,
    /// 拍摄 pressed: the camera's live view shows for this capture, so the
    /// customer sees what will be taken before 拍照 (kept only on its own
    /// page; see [`viewfinder`]).
    #[serde(default)]
    pub aiming: Option<AttachmentKind>,
    /// The last capture that gave nothing usable (the screen says so and
    /// offers to try again).
    #[serde(default)]
    pub capture_failed: Option<AttachmentKind>,
    /// The kiosk restarted with this draft unfinished: the screen asks
    /// whether to go on with it (异常恢复) before showing any of it.
    #[serde(default)]
    pub interrupted: bool,
    /// The pre-filled 申请表: `Some(None)` while it prints, then what the
    /// printer said (`None`: not asked for).
    #[serde(default)]
    pub form_print: Option<Option<PrintOutcome>>,
    /// The signed-in enterprise account's unit: the unit page starts with
    /// its name and USCC (the customer may change them).
    #[serde(default)]
    pub account: Option<AccountUnit>,
    /// Counter staff confirming the handler in person with their staff key
    /// (on 实人认证 only).
    #[serde(default)]
    pub staff_check: Option<StaffCheck>,
}

/// Counter staff confirming the handler in person (实人认证): they insert
/// their own staff key and type its PIN; the key signs a fresh challenge
/// and its certificate is checked against the staff CA, as at a staff
/// sign-in. No staff session opens: the customer's session goes on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StaffCheck {
    /// The pad shows, with what the last try came to.
    Asking { last: Option<SignInRefusal> },
    /// The key checks the PIN and signs.
    Checking,
}

impl Draft {
    /// The attachments the CA requires for this draft.
    #[must_use]
    pub fn required_attachments(&self) -> Vec<AttachmentKind> {
        let mut kinds = vec![
            AttachmentKind::ApplicationForm,
            AttachmentKind::BusinessLicence,
            AttachmentKind::HandlerId,
        ];
        kinds.extend(
            (0..self.seal_holders.len())
                .filter_map(|i| u8::try_from(i).ok())
                .map(|holder| AttachmentKind::SealHolderId { holder }),
        );
        kinds
    }

    /// Required attachments not captured yet.
    #[must_use]
    pub fn missing_attachments(&self) -> Vec<AttachmentKind> {
        self.required_attachments()
            .into_iter()
            .filter(|k| !self.captures.iter().any(|c| c.kind == *k))
            .collect()
    }

    /// What the 申请表 is printed with, once the pages before it are done.
    #[must_use]
    pub fn application_form(&self) -> Option<ApplicationForm> {
        Some(ApplicationForm {
            project: self.project.clone()?,
            unit: self.unit.clone()?,
            handler: self.handler.clone()?,
            seal_holders: self.seal_holders.clone(),
        })
    }

    /// The finished application, when every part is there.
    #[must_use]
    pub fn details(&self) -> Option<ApplicationDetails> {
        Some(ApplicationDetails {
            agreement_version: self.agreement_version.clone(),
            project: self.project.clone()?,
            unit: self.unit.clone()?,
            handler: self.handler.clone()?,
            seal_holders: self.seal_holders.clone(),
            invoice: self.invoice.clone()?,
            pickup: self.pickup.clone()?,
            identity: self.identity.clone(),
        })
    }

    /// The captures that may leave the kiosk: a face only with both consents.
    #[must_use]
    pub fn uploadable_captures(&self) -> Vec<CaptureRef> {
        self.captures
            .iter()
            .filter(|c| !c.kind.is_biometric() || self.identity.may_upload_face())
            .cloned()
            .collect()
    }

    /// Asks for a capture unless one is being taken.
    fn request_capture(
        mut self: Box<Self>,
        session: SessionId,
        page: Page,
        kind: AttachmentKind,
    ) -> ApplicationStep {
        if self.capturing.is_some() {
            return Step::to(filling(session, page, self));
        }
        self.aiming = None;
        self.capturing = Some(kind);
        self.capture_failed = None;
        Step::with(
            filling(session, page, self),
            vec![ApplicationEffect::Capture { session, kind }],
        )
    }

    /// The identity check is done, or queued for the CA, or confirmed by
    /// staff; a face the CA did not match needs staff in person.
    #[must_use]
    pub fn identity_ready(&self) -> bool {
        matches!(
            self.identity.outcome,
            IdentityOutcome::FaceQueued
                | IdentityOutcome::FaceVerified { .. }
                | IdentityOutcome::ConfirmedInPerson { .. }
        )
    }

    /// Whether a capture is one this draft asked for: a document it
    /// requires, or the face after its consent and before its upload.
    fn accepts(&self, capture: &CaptureRef) -> bool {
        if capture.kind.is_biometric() {
            self.identity.may_capture_face() && self.identity.upload_consent.is_none()
        } else {
            self.required_attachments().contains(&capture.kind)
        }
    }

    fn put_capture(&mut self, capture: CaptureRef) {
        if self.capturing == Some(capture.kind) {
            self.capturing = None;
        }
        self.captures.retain(|c| c.kind != capture.kind);
        self.captures.push(capture);
    }
}

/// Where the application flow stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ApplicationState {
    Home,
    Filling {
        session: SessionId,
        page: Page,
        draft: Box<Draft>,
    },
    /// The order is being stored durably with its attachments and outbox entry.
    Submitting {
        session: SessionId,
        draft: Box<Draft>,
    },
    /// Stored and queued; the receipt carries the number and a QR to follow it.
    Submitted {
        session: SessionId,
        order: OrderNumber,
        /// What the printer said (`None` while it prints).
        receipt: Option<PrintOutcome>,
    },
}

impl ApplicationState {
    /// The session this state belongs to (`None` at home).
    #[must_use]
    pub fn session(&self) -> Option<SessionId> {
        match self {
            Self::Home => None,
            Self::Filling { session, .. }
            | Self::Submitting { session, .. }
            | Self::Submitted { session, .. } => Some(*session),
        }
    }

    /// Whether the state holds anything the customer entered.
    #[must_use]
    pub fn holds_personal_data(&self) -> bool {
        matches!(self, Self::Filling { .. } | Self::Submitting { .. })
    }
}

/// Everything that can happen to the application flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ApplicationEvent {
    /// 申请证书及印章 pressed; the adapter made a session id and names the
    /// agreement version shown.
    Start {
        session: SessionId,
        agreement_version: String,
        /// The enterprise account the customer signed in with, if any.
        #[serde(default)]
        account: Option<AccountUnit>,
    },
    AgreementScrolledToEnd,
    AgreementAccepted,
    ProjectChosen(Project),
    UnitEntered(UnitInfo),
    HandlerEntered(Handler),
    SealHoldersEntered(Vec<SealHolder>),
    InvoiceEntered(InvoiceInfo),
    PickupChosen(Pickup),
    /// 打印申请表 on 上传附件.
    PrintForm,
    /// 拍摄 (or 开始拍摄 for the face): the camera's live view opens for
    /// this capture.
    AimRequested(AttachmentKind),
    /// 取消 on the live view.
    AimCancelled,
    /// What the printer said about the 申请表.
    FormPrinted(PrintOutcome),
    CaptureRequested(AttachmentKind),
    Captured(CaptureRef),
    /// The camera gave nothing usable (none fitted, no page found): the
    /// customer may try again.
    CaptureFailed(AttachmentKind),
    AttachmentsDone,
    /// The customer's answer on the face-capture consent screen.
    FaceCaptureConsent(bool),
    /// The customer's answer on the face-upload consent screen.
    FaceUploadConsent(bool),
    /// The CA's identity service answered.
    FaceChecked {
        matched: bool,
    },
    /// 工作人员当面核验 pressed: the staff key's PIN pad shows.
    StaffCheckOpened,
    /// The staff key's PIN was typed (and handed to the executor).
    StaffPinTyped,
    /// 取消 on the staff key's PIN pad.
    StaffCheckCancelled,
    /// What the staff key and its certificate came to: the member of staff
    /// who confirmed the handler in person, or why not.
    StaffChecked(Result<StaffMember, SignInRefusal>),
    /// 下一步 on the identity page, once the check is done, queued or confirmed.
    IdentityDone,
    /// Go back to a page to correct it (from the review page).
    Edit(Page),
    Submit,
    /// The store allocated this number and queued the order.
    OrderSubmitted(OrderNumber),
    /// What the printer said about the receipt.
    ReceiptPrinted(PrintOutcome),
    Back,
    GoHome,
    IdleTimeout,
    /// The kiosk restarted with the application unfinished.
    Restarted,
    /// 继续填写 on 异常恢复: the draft is shown again.
    ContinueDraft,
}

/// The work the application flow asks the adapters to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ApplicationEffect {
    /// Capture a document (or, with consent, the face) and store it.
    Capture {
        session: SessionId,
        kind: AttachmentKind,
    },
    /// Delete a capture from the kiosk (a face whose upload was refused).
    DiscardCapture {
        session: SessionId,
        kind: AttachmentKind,
    },
    /// Ask the CA's identity service whether the face captured in this
    /// session is the person with this name and ID number (while it cannot
    /// be asked, the check travels with the order: queued).
    VerifyFace {
        session: SessionId,
        name: PersonName,
        resident_id: ResidentId,
    },
    /// Allocate a number, store order + attachments + outbox entry in one
    /// transaction (idempotent per session).
    SubmitOrder {
        session: SessionId,
        details: Box<ApplicationDetails>,
        attachments: Vec<CaptureRef>,
        amount: Fen,
    },
    PrintReceipt {
        order: OrderNumber,
    },
    /// Print the pre-filled 申请表 for the unit's seal.
    PrintApplicationForm {
        session: SessionId,
        form: Box<ApplicationForm>,
    },
    /// Forget the session: draft, captures not submitted, face images.
    WipeSession {
        session: SessionId,
    },
    /// Check the staff key inserted with the PIN handed over (a signature
    /// over a fresh challenge, the certificate against the staff CA);
    /// answers [`ApplicationEvent::StaffChecked`].
    CheckStaffKey {
        session: SessionId,
    },
    /// Append to the audit log, once for `key`.
    Audit {
        key: String,
        entry: AuditEntry,
    },
}

type ApplicationStep = Step<ApplicationState, ApplicationEffect>;

/// The application flow, for the driver.
#[derive(Debug)]
pub struct Application;

impl Flow for Application {
    type State = ApplicationState;
    type Event = ApplicationEvent;
    type Effect = ApplicationEffect;
    const NAME: &'static str = "application";
    /// 2: the receipt's outcome on `Submitted`.
    const FORMAT: u32 = 2;

    fn home() -> ApplicationState {
        ApplicationState::Home
    }

    fn step(
        state: ApplicationState,
        event: ApplicationEvent,
        ctx: &StepContext,
    ) -> ApplicationStep {
        step(state, event, ctx)
    }

    fn session(state: &ApplicationState) -> Option<SessionId> {
        state.session()
    }

    /// The customer leaving (or idle) ends the application; a restart
    /// offers the draft back (异常恢复); keys and the network do not concern
    /// it (the order is submitted offline too).
    fn signal(signal: Signal) -> Option<ApplicationEvent> {
        match signal {
            Signal::GoHome => Some(ApplicationEvent::GoHome),
            Signal::IdleTimeout => Some(ApplicationEvent::IdleTimeout),
            Signal::Restarted => Some(ApplicationEvent::Restarted),
            Signal::KeyInserted | Signal::KeyRemoved | Signal::Network { .. } => None,
        }
    }

    fn timer(_: &ApplicationState, _: &StepContext) -> Option<Timer<ApplicationEvent>> {
        None
    }
}

/// The page a capture of `kind` is taken on.
fn capture_page(kind: AttachmentKind) -> Page {
    if kind.is_biometric() {
        Page::IdentityCheck
    } else {
        Page::Attachments
    }
}

/// The draft on `page`; a live view aimed for another page closes (the
/// customer went back, on, or to 修改).
fn filling(session: SessionId, page: Page, mut draft: Box<Draft>) -> ApplicationState {
    if draft.aiming.is_some_and(|kind| capture_page(kind) != page) {
        draft.aiming = None;
    }
    ApplicationState::Filling {
        session,
        page,
        draft,
    }
}

/// The capture whose live view the camera should show now, if any: only
/// while the customer fills in the draft (not offered back after a restart
/// and not while a capture is being taken), on that capture's page, for a
/// document the draft requires, or for the face once its consent is given,
/// before its upload is decided and unless staff confirmed the handler in
/// person. The camera runs for nothing else.
#[must_use]
pub fn viewfinder(state: &ApplicationState) -> Option<(SessionId, AttachmentKind)> {
    let ApplicationState::Filling {
        session,
        page,
        draft,
    } = state
    else {
        return None;
    };
    let kind = draft.aiming?;
    let wanted = if kind.is_biometric() {
        draft.identity.may_capture_face()
            && draft.identity.upload_consent.is_none()
            && !confirmed_in_person(draft)
            && draft.staff_check.is_none()
    } else {
        draft.required_attachments().contains(&kind)
    };
    (wanted && !draft.interrupted && draft.capturing.is_none() && capture_page(kind) == *page)
        .then_some((*session, kind))
}

/// One step of the application flow.
#[must_use]
pub fn step(
    state: ApplicationState,
    event: ApplicationEvent,
    ctx: &StepContext,
) -> ApplicationStep {
    use ApplicationEvent as E;
    use ApplicationState as S;

    match (state, event) {
        (S::Home, E::GoHome | E::IdleTimeout) => Step::to(S::Home),
        (
            S::Filling { session, .. }
            | S::Submitting { session, .. }
            | S::Submitted { session, .. },
            E::GoHome | E::IdleTimeout,
        ) => Step::with(S::Home, vec![ApplicationEffect::WipeSession { session }]),

        (
            S::Home | S::Submitted { .. },
            E::Start {
                session,
                agreement_version,
                account,
            },
        ) => Step::to(filling(
            session,
            Page::Agreement,
            Box::new(Draft {
                agreement_version,
                account,
                ..Draft::default()
            }),
        )),

        (
            S::Filling {
                session,
                page,
                draft,
            },
            event,
        ) => fill(session, page, draft, event, ctx),

        (S::Submitting { session, .. }, E::OrderSubmitted(order)) => Step::with(
            S::Submitted {
                session,
                order,
                receipt: None,
            },
            vec![ApplicationEffect::PrintReceipt { order }],
        ),

        (S::Submitted { session, order, .. }, E::ReceiptPrinted(outcome)) => {
            Step::to(S::Submitted {
                session,
                order,
                receipt: Some(outcome),
            })
        }

        (state, _) => Step::to(state),
    }
}

fn fill(
    session: SessionId,
    page: Page,
    mut draft: Box<Draft>,
    event: ApplicationEvent,
    ctx: &StepContext,
) -> ApplicationStep {
    use ApplicationEvent as E;

    let advance = |draft: Box<Draft>| Step::to(filling(session, page.next(), draft));
    match (page, event) {
        (_, E::Restarted) => {
            draft.interrupted = true;
            // The staff key's PIN died with the process; the camera's view
            // opens again only when asked.
            draft.staff_check = None;
            draft.aiming = None;
            Step::to(filling(session, page, draft))
        }
        (_, E::ContinueDraft) => {
            draft.interrupted = false;
            Step::to(filling(session, page, draft))
        }
        // Nothing of the draft is acted on until the customer says it is
        // theirs to go on with (captures still land: they were asked for).
        (_, event)
            if draft.interrupted
                && !matches!(
                    event,
                    E::Captured(_) | E::CaptureFailed(_) | E::FormPrinted(_)
                ) =>
        {
            Step::to(filling(session, page, draft))
        }
        (Page::Agreement, E::AgreementScrolledToEnd) => {
            draft.agreement_scrolled = true;
            Step::to(filling(session, page, draft))
        }
        // The agreement must have been scrolled to its end before it can be accepted.
        (Page::Agreement, E::AgreementAccepted) if draft.agreement_scrolled => advance(draft),
        (Page::Project, E::ProjectChosen(project)) => {
            draft.project = Some(project);
            advance(draft)
        }
        (Page::Unit, E::UnitEntered(unit)) => {
            draft.unit = Some(unit);
            advance(draft)
        }
        // A birth date in the future is impossible; the form shows the ID error.
        (Page::Handler, E::HandlerEntered(handler))
            if handler.resident_id.is_born_by(ctx.now.date()) =>
        {
            draft.handler = Some(handler);
            advance(draft)
        }
        (Page::SealHolders, E::SealHoldersEntered(holders))
            if !holders.is_empty() && holders.len() <= MAX_SEAL_HOLDERS =>
        {
            draft.seal_holders = holders;
            // Holders may have changed: drop ID captures of holders that no longer exist.
            let required = draft.required_attachments();
            draft
                .captures
                .retain(|c| c.kind == AttachmentKind::Face || required.contains(&c.kind));
            advance(draft)
        }
        (Page::Invoice, E::InvoiceEntered(invoice)) => {
            draft.invoice = Some(invoice);
            advance(draft)
        }
        (Page::Pickup, E::PickupChosen(pickup)) => {
            draft.pickup = Some(pickup);
            advance(draft)
        }
        (Page::Attachments, E::AimRequested(kind))
            if !kind.is_biometric()
                && draft.required_attachments().contains(&kind)
                && draft.capturing.is_none() =>
        {
            draft.aiming = Some(kind);
            draft.capture_failed = None;
            Step::to(filling(session, page, draft))
        }
        (Page::IdentityCheck, E::AimRequested(AttachmentKind::Face))
            if draft.identity.may_capture_face()
                && draft.identity.upload_consent.is_none()
                && !confirmed_in_person(&draft)
                && draft.staff_check.is_none()
                && draft.capturing.is_none() =>
        {
            draft.aiming = Some(AttachmentKind::Face);
            draft.capture_failed = None;
            Step::to(filling(session, page, draft))
        }
        (_, E::AimCancelled) => {
            draft.aiming = None;
            Step::to(filling(session, page, draft))
        }
        (Page::Attachments, E::CaptureRequested(kind))
            if !kind.is_biometric() && draft.required_attachments().contains(&kind) =>
        {
            draft.request_capture(session, page, kind)
        }
        (Page::Attachments, E::PrintForm) if draft.form_print != Some(None) => {
            match draft.application_form() {
                Some(form) => {
                    draft.form_print = Some(None);
                    Step::with(
                        filling(session, page, draft),
                        vec![ApplicationEffect::PrintApplicationForm {
                            session,
                            form: Box::new(form),
                        }],
                    )
                }
                None => Step::to(filling(session, page, draft)),
            }
        }
        (_, E::FormPrinted(outcome)) if draft.form_print == Some(None) => {
            draft.form_print = Some(Some(outcome));
            Step::to(filling(session, page, draft))
        }
        // Kept whichever page the customer went to meanwhile.
        (_, E::Captured(capture)) if draft.accepts(&capture) => {
            draft.put_capture(capture);
            Step::to(filling(session, page, draft))
        }
        (Page::Attachments, E::AttachmentsDone) if draft.missing_attachments().is_empty() => {
            advance(draft)
        }
        (Page::FaceConsent, E::FaceCaptureConsent(yes)) => {
            draft.identity.capture_consent = yes.then_some(ctx.now);
            advance(draft)
        }
        // Once staff confirmed the handler in person, no face is needed.
        (Page::IdentityCheck, E::CaptureRequested(AttachmentKind::Face))
            if draft.identity.may_capture_face()
                && draft.identity.upload_consent.is_none()
                && !confirmed_in_person(&draft) =>
        {
            draft.request_capture(session, page, AttachmentKind::Face)
        }
        (Page::IdentityCheck, E::FaceUploadConsent(true))
            if draft.identity.may_capture_face()
                && draft.captures.iter().any(|c| c.kind.is_biometric())
                && !confirmed_in_person(&draft) =>
        {
            draft.identity.upload_consent = Some(ctx.now);
            draft.identity.outcome = IdentityOutcome::FaceQueued;
            let verify = draft
                .handler
                .as_ref()
                .map(|h| ApplicationEffect::VerifyFace {
                    session,
                    name: h.name.clone(),
                    resident_id: h.resident_id.clone(),
                });
            Step::with(filling(session, page, draft), verify.into_iter().collect())
        }
        (Page::IdentityCheck, E::FaceUploadConsent(false)) => {
            // Without the upload consent the face stays on the kiosk only
            // until now: it is discarded, and staff can check in person.
            draft.identity.upload_consent = None;
            draft.captures.retain(|c| !c.kind.is_biometric());
            if draft.identity.outcome == IdentityOutcome::FaceQueued {
                draft.identity.outcome = IdentityOutcome::NotChecked;
            }
            Step::with(
                filling(session, page, draft),
                vec![ApplicationEffect::DiscardCapture {
                    session,
                    kind: AttachmentKind::Face,
                }],
            )
        }
        (Page::IdentityCheck, E::FaceChecked { matched })
            if draft.identity.may_upload_face() && !confirmed_in_person(&draft) =>
        {
            draft.identity.outcome = if matched {
                IdentityOutcome::FaceVerified { at: ctx.now }
            } else {
                IdentityOutcome::FaceNotMatched { at: ctx.now }
            };
            Step::to(filling(session, page, draft))
        }
        (
            Page::IdentityCheck,
            event @ (E::StaffCheckOpened
            | E::StaffPinTyped
            | E::StaffCheckCancelled
            | E::StaffChecked(_)
            | E::Back),
        ) if event != E::Back || draft.staff_check.is_some() => {
            staff_check(session, draft, event, ctx)
        }
        (Page::IdentityCheck, E::IdentityDone) if identity_ready(&draft) => advance(draft),
        (_, E::CaptureFailed(kind)) if draft.capturing == Some(kind) => {
            draft.capturing = None;
            draft.capture_failed = Some(kind);
            Step::to(filling(session, page, draft))
        }
        (Page::Review, E::Edit(target)) if target < Page::Review && target > Page::Agreement => {
            Step::to(filling(session, target, draft))
        }
        (Page::Review, E::Submit) => submit(session, draft),
        (_, E::Back) => match page.previous() {
            Some(previous) => Step::to(filling(session, previous, draft)),
            None => Step::to(filling(session, page, draft)),
        },
        (page, _) => Step::to(filling(session, page, draft)),
    }
}

fn identity_ready(draft: &Draft) -> bool {
    draft.identity_ready()
}

fn confirmed_in_person(draft: &Draft) -> bool {
    matches!(
        draft.identity.outcome,
        IdentityOutcome::ConfirmedInPerson { .. }
    )
}

/// 工作人员当面核验 on 实人认证: the staff key's pad, its answer, and the
/// confirmation recorded on the draft and in the audit log.
fn staff_check(
    session: SessionId,
    mut draft: Box<Draft>,
    event: ApplicationEvent,
    ctx: &StepContext,
) -> ApplicationStep {
    use ApplicationEvent as E;
    let page = Page::IdentityCheck;
    match (draft.staff_check.take(), event) {
        (None, E::StaffCheckOpened) if !confirmed_in_person(&draft) => {
            // The pad takes the screen: the camera's view closes.
            draft.aiming = None;
            draft.staff_check = Some(StaffCheck::Asking { last: None });
            Step::to(filling(session, page, draft))
        }
        (Some(StaffCheck::Asking { .. }), E::StaffPinTyped) => {
            draft.staff_check = Some(StaffCheck::Checking);
            Step::with(
                filling(session, page, draft),
                vec![ApplicationEffect::CheckStaffKey { session }],
            )
        }
        // Closed; a check running goes on to its answer.
        (Some(StaffCheck::Asking { .. }), E::StaffCheckCancelled | E::Back) => {
            Step::to(filling(session, page, draft))
        }
        (Some(StaffCheck::Checking), E::StaffChecked(answer)) => {
            let confirmed = answer.and_then(|member| {
                if !member.roles.contains(&StaffRole::Staff) {
                    return Err(SignInRefusal::Credential(
                        crate::ports::staff::CredentialRefusal::NoStaffRole,
                    ));
                }
                let staff_id = member
                    .certificate_serial
                    .parse::<Reference>()
                    .map_err(|_| SignInRefusal::NotAStaffKey)?;
                Ok((member, staff_id))
            });
            match confirmed {
                Ok((member, staff_id)) => {
                    draft.identity.outcome = IdentityOutcome::ConfirmedInPerson {
                        staff_id,
                        at: ctx.now,
                    };
                    let entry = AuditEntry {
                        at: ctx.now,
                        actor: Actor::Staff {
                            certificate_serial: member.certificate_serial,
                            name: member.name,
                        },
                        action: AuditAction::IdentityConfirmedInPerson,
                        // The order has no number yet.
                        order: None,
                    };
                    Step::with(
                        filling(session, page, draft),
                        vec![ApplicationEffect::Audit {
                            key: format!("in-person-{:016x}", session.0),
                            entry,
                        }],
                    )
                }
                Err(why) => {
                    draft.staff_check = Some(StaffCheck::Asking { last: Some(why) });
                    Step::to(filling(session, page, draft))
                }
            }
        }
        (check, _) => {
            draft.staff_check = check;
            Step::to(filling(session, page, draft))
        }
    }
}

fn submit(session: SessionId, draft: Box<Draft>) -> ApplicationStep {
    let ready = identity_ready(&draft) && draft.missing_attachments().is_empty();
    let details = draft.details().filter(|_| ready);
    let amount = details.as_ref().and_then(ApplicationDetails::amount_due);
    let (Some(details), Some(amount)) = (details, amount) else {
        return Step::to(filling(session, Page::Review, draft));
    };
    let attachments = draft.uploadable_captures();
    Step::with(
        ApplicationState::Submitting { session, draft },
        vec![ApplicationEffect::SubmitOrder {
            session,
            details: Box::new(details),
            attachments,
            amount,
        }],
    )
}

#[cfg(test)]
mod tests;
