//! The application (数字证书及电子印章申请) in the runtime: its executor (the
//! camera's captures on the blocking pool, kept in the store on the flow
//! thread; the order submitted with its attachments in one transaction; the
//! receipt) and its binding to the screens.

use crate::clock::Clock;
use crate::receipts::{self, ReceiptSettings};
use crate::runtime::{Answers, Cx};
use crate::slot::{Binding, FlowExecutor, Notice, save_journal};
use crate::ui_port::UiUpdate;
use crate::viewfinder::Viewfinder;
use kiosk_config::CameraSource;
use kiosk_domain::account::AccountUnit;
use kiosk_domain::flow::SessionId;
use kiosk_domain::flow::application::{
    self, Application, ApplicationEffect, ApplicationEvent, ApplicationState, StaffCheck,
};
use kiosk_domain::flow::driver::{Executor, Flow, Journal, Ran, Saved, Ticket};
use kiosk_domain::order::application::Catalogue;
use kiosk_domain::order::attachment::{Attachment, AttachmentKind};
use kiosk_domain::order_number::{KioskCode, OrderNumber};
use kiosk_domain::ports::ca::{CaPort, FaceVerdict};
use kiosk_domain::ports::camera::Frame;
use kiosk_domain::ports::key_writer::Pin;
use kiosk_domain::ports::printer::ReceiptPrinter;
use kiosk_domain::ports::staff::{SignInRefusal, SignedIn};
use kiosk_domain::ports::store::OrderStore;
use kiosk_ui::{ApplicationInput, UiEvent};
use std::any::Any;
use std::sync::{Arc, Mutex, PoisonError};

/// Settings the application's effects need.
#[derive(Debug, Clone)]
pub struct ApplicationSettings {
    pub kiosk: KioskCode,
    pub camera: CameraSource,
    pub receipt: ReceiptSettings,
}

/// What comes back from work done off the flow thread.
#[derive(Debug)]
enum Answer {
    Event(Option<ApplicationEvent>),
    /// A capture to keep in the store before the flow hears of it, with
    /// what the customer is shown of a document.
    Captured {
        session: SessionId,
        kind: AttachmentKind,
        attachment: Option<Attachment>,
        preview: Option<Frame>,
    },
}

/// The longest side of a document's preview on screen, in pixels.
const PREVIEW_SIDE: u32 = 900;

/// What the customer is shown of a document as kept: the JPEG the CA will
/// get, decoded and scaled to the screen (never a face: the customer saw
/// themselves already, and a face is not shown on a public screen).
pub(crate) fn preview_of(attachment: &Attachment) -> Option<Frame> {
    if attachment.kind().is_biometric() {
        return None;
    }
    let frame = kiosk_camera::file_source::decode_frame(attachment.bytes()).ok()?;
    Some(kiosk_camera::document::fit_long_side(&frame, PREVIEW_SIDE))
}

/// The last document photographed in a session, for the screen.
#[derive(Debug, Clone)]
pub struct Preview {
    pub session: SessionId,
    pub kind: AttachmentKind,
    pub frame: Arc<Frame>,
}

/// A fault of the kiosk itself (its store): the effect runs again later.
#[derive(Debug, thiserror::Error)]
#[error("store: {0}")]
pub struct StoreFault(String);

fn fault(e: impl std::fmt::Display) -> StoreFault {
    StoreFault(e.to_string())
}

/// Checks the staff key inserted with `pin` over a fresh challenge at
/// `now`, as a staff sign-in does ([`kiosk_domain::ports::staff::sign_in`]
/// over the key writer and the staff CA).
pub type StaffKeyCheck = Arc<
    dyn Fn(Pin, &[u8; 32], time::OffsetDateTime) -> Result<SignedIn, SignInRefusal> + Send + Sync,
>;

/// The application's executor over the ports.
pub struct ApplicationExecutor<S, P, C> {
    store: S,
    /// `None`: this kiosk has no CA configured.
    ca: Option<C>,
    printer: Arc<Mutex<P>>,
    answers: Answers,
    clock: Arc<dyn Clock>,
    settings: ApplicationSettings,
    notices: Vec<Notice>,
    /// The last document photographed (forgotten with its session).
    preview: Option<Preview>,
    /// `None`: no staff CA here, so nobody can confirm a handler in person.
    staff_check: Option<StaffKeyCheck>,
    /// The staff key's PIN typed for the next `CheckStaffKey` (never stored).
    pin: Option<Pin>,
    /// The camera's live view, run as each state saved asks (`None`: none
    /// wired, as in tests without screens).
    viewfinder: Option<Viewfinder>,
}

impl<S, P, C> std::fmt::Debug for ApplicationExecutor<S, P, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApplicationExecutor")
            .finish_non_exhaustive()
    }
}

impl<S, P, C> ApplicationExecutor<S, P, C>
where
    S: OrderStore + Send,
    P: ReceiptPrinter + Send + 'static,
    C: CaPort,
{
    #[must_use]
    pub fn new(
        store: S,
        ca: Option<C>,
        printer: P,
        answers: Answers,
        clock: Arc<dyn Clock>,
        settings: ApplicationSettings,
    ) -> Self {
        Self {
            store,
            ca,
            printer: Arc::new(Mutex::new(printer)),
            answers,
            clock,
            settings,
            notices: Vec::new(),
            preview: None,
            staff_check: None,
            pin: None,
            viewfinder: None,
        }
    }

    /// Runs the camera's live view whenever a state saved asks for it.
    #[must_use]
    pub fn with_viewfinder(mut self, viewfinder: Viewfinder) -> Self {
        self.viewfinder = Some(viewfinder);
        self
    }

    /// Staff may confirm a handler in person with their staff key, checked
    /// by `check` (`None`: no staff CA configured).
    #[must_use]
    pub fn with_staff_check(mut self, check: Option<StaffKeyCheck>) -> Self {
        self.staff_check = check;
        self
    }

    /// The store (tests read it back).
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The staff key inserted, with the PIN handed over, on the blocking
    /// pool (the key writer's lock).
    fn check_staff_key(
        &mut self,
        ticket: Ticket,
        now: time::OffsetDateTime,
    ) -> Ran<ApplicationEvent> {
        let refused = |why| Ran::Answered(Some(ApplicationEvent::StaffChecked(Err(why))));
        let Some(check) = self.staff_check.clone() else {
            return refused(SignInRefusal::NotAStaffKey);
        };
        // After a restart the PIN died with the process.
        let Some(pin) = self.pin.take() else {
            return refused(SignInRefusal::KeyFailed);
        };
        let mut challenge = [0_u8; 32];
        if let Err(e) = getrandom::fill(&mut challenge) {
            tracing::error!(error = %e, "no random challenge for a staff key");
            return refused(SignInRefusal::KeyFailed);
        }
        self.answers
            .spawn_blocking(Application::NAME, ticket, move || {
                let checked = check(pin, &challenge, now).map(|signed| signed.member);
                match &checked {
                    Ok(member) => tracing::info!(
                        certificate = %member.certificate_serial,
                        "a member of staff's key confirmed a handler in person"
                    ),
                    Err(why) => tracing::info!(?why, "staff key refused for an in-person check"),
                }
                Answer::Event(Some(ApplicationEvent::StaffChecked(checked)))
            });
        Ran::Started
    }

    fn print_receipt(
        &mut self,
        ticket: Ticket,
        order: &OrderNumber,
    ) -> Result<Ran<ApplicationEvent>, StoreFault> {
        let Some(order) = self.store.load_order(order).map_err(fault)? else {
            return Ok(Ran::Answered(None));
        };
        let receipt = self.settings.receipt.receipt(&order, self.clock.wall());
        let printer = Arc::clone(&self.printer);
        self.answers
            .spawn_blocking(Application::NAME, ticket, move || {
                let mut printer = printer.lock().unwrap_or_else(PoisonError::into_inner);
                Answer::Event(Some(ApplicationEvent::ReceiptPrinted(receipts::print(
                    &mut *printer,
                    &receipt,
                ))))
            });
        Ok(Ran::Started)
    }
}

impl<S: OrderStore, P, C> Journal<ApplicationState, ApplicationEffect>
    for ApplicationExecutor<S, P, C>
{
    type Error = S::Error;
    fn save(&mut self, saved: &Saved<ApplicationState, ApplicationEffect>) -> Result<(), S::Error> {
        save_journal::<Application, S>(&mut self.store, saved)?;
        // Every state is saved before its effects run: the camera follows
        // each one (and stops for a capture before the capture opens it).
        if let Some(viewfinder) = &mut self.viewfinder {
            viewfinder.want(application::viewfinder(&saved.state));
        }
        Ok(())
    }
}

impl<S, P, C> Executor<ApplicationEffect, ApplicationEvent> for ApplicationExecutor<S, P, C>
where
    S: OrderStore + Send,
    P: ReceiptPrinter + Send + 'static,
    C: CaPort,
{
    type Error = StoreFault;

    fn run(
        &mut self,
        effect: &ApplicationEffect,
        ticket: Ticket,
    ) -> Result<Ran<ApplicationEvent>, StoreFault> {
        let now = self.clock.wall();
        Ok(match effect {
            ApplicationEffect::Capture { session, kind } => {
                let (session, kind) = (*session, *kind);
                let camera = self.settings.camera.clone();
                self.answers
                    .spawn_blocking(Application::NAME, ticket, move || {
                        let attachment = match crate::devices::capture(&camera, kind) {
                            Ok(attachment) => Some(attachment),
                            Err(e) => {
                                tracing::info!(?kind, error = %e, "nothing captured");
                                None
                            }
                        };
                        let preview = attachment.as_ref().and_then(preview_of);
                        Answer::Captured {
                            session,
                            kind,
                            attachment,
                            preview,
                        }
                    });
                Ran::Started
            }
            ApplicationEffect::DiscardCapture { session, kind } => {
                self.store.discard_capture(*session, *kind).map_err(fault)?;
                Ran::Answered(None)
            }
            ApplicationEffect::VerifyFace {
                session,
                name,
                resident_id,
            } => {
                // Without a CA, or without the photo, the check travels with
                // the order (FaceQueued) and the CA's review decides.
                let photo = self
                    .store
                    .capture(*session, AttachmentKind::Face)
                    .map_err(fault)?;
                let (Some(ca), Some(photo)) = (self.ca.clone(), photo) else {
                    return Ok(Ran::Answered(None));
                };
                let (name, resident_id) = (name.clone(), resident_id.clone());
                self.answers.spawn(Application::NAME, ticket, async move {
                    let verdict = ca
                        .verify_face(&name, &resident_id, photo.bytes().to_vec())
                        .await;
                    Answer::Event(match verdict {
                        Ok(FaceVerdict::Match) => Some(ApplicationEvent::FaceChecked { matched: true }),
                        Ok(FaceVerdict::NoMatch) => {
                            Some(ApplicationEvent::FaceChecked { matched: false })
                        }
                        Ok(FaceVerdict::NoReference) => None,
                        Err(e) => {
                            tracing::info!(error = %e, "the identity service was not asked: the check travels with the order");
                            None
                        }
                    })
                });
                Ran::Started
            }
            ApplicationEffect::SubmitOrder {
                session,
                details,
                attachments,
                amount,
            } => {
                let order = self
                    .store
                    .create_application_order(
                        *session,
                        &self.settings.kiosk,
                        now,
                        *amount,
                        details,
                        attachments,
                    )
                    .map_err(fault)?;
                Ran::Answered(Some(ApplicationEvent::OrderSubmitted(order.number)))
            }
            ApplicationEffect::PrintReceipt { order } => self.print_receipt(ticket, order)?,
            ApplicationEffect::PrintApplicationForm { form, .. } => {
                let slip = kiosk_domain::ports::printer::application_form(
                    form,
                    &self.settings.receipt.context(now),
                );
                let printer = Arc::clone(&self.printer);
                self.answers
                    .spawn_blocking(Application::NAME, ticket, move || {
                        let mut printer = printer.lock().unwrap_or_else(PoisonError::into_inner);
                        Answer::Event(Some(ApplicationEvent::FormPrinted(receipts::print(
                            &mut *printer,
                            &slip,
                        ))))
                    });
                Ran::Started
            }
            ApplicationEffect::CheckStaffKey { .. } => self.check_staff_key(ticket, now),
            ApplicationEffect::Audit { key, entry } => {
                self.store.append_audit(key, entry).map_err(fault)?;
                Ran::Answered(None)
            }
            ApplicationEffect::WipeSession { session } => {
                self.store.wipe_session(*session).map_err(fault)?;
                self.preview = None;
                self.pin = None;
                self.notices.push(Notice::SessionWiped);
                Ran::Answered(None)
            }
        })
    }
}

impl<S, P, C> FlowExecutor<Application> for ApplicationExecutor<S, P, C>
where
    S: OrderStore + Send,
    P: ReceiptPrinter + Send + 'static,
    C: CaPort,
{
    fn finish(
        &mut self,
        answer: Box<dyn Any + Send>,
    ) -> Result<Option<ApplicationEvent>, StoreFault> {
        let answer = answer
            .downcast::<Answer>()
            .map_err(|_| StoreFault("an answer of another kind".to_owned()))?;
        Ok(match *answer {
            Answer::Event(event) => event,
            Answer::Captured {
                kind,
                attachment: None,
                ..
            } => Some(ApplicationEvent::CaptureFailed(kind)),
            Answer::Captured {
                session,
                kind,
                attachment: Some(attachment),
                preview,
            } => {
                // Kept before the flow refers to it: a power cut loses nothing.
                let reference = self
                    .store
                    .put_capture(session, &attachment, self.clock.wall())
                    .map_err(fault)?;
                // What was kept, never what it shows.
                tracing::info!(?kind, bytes = reference.size, "capture kept");
                self.preview = preview.map(|frame| Preview {
                    session,
                    kind,
                    frame: Arc::new(frame),
                });
                Some(ApplicationEvent::Captured(reference))
            }
        })
    }

    fn take_notices(&mut self) -> Vec<Notice> {
        std::mem::take(&mut self.notices)
    }
}

/// The application's screens.
#[derive(Debug)]
pub struct ApplicationBinding {
    /// The agreement and the projects shown.
    pub catalogue: Arc<Catalogue>,
}

impl ApplicationBinding {
    /// A new session on the CA's latest terms when the kiosk has them,
    /// else the configured ones (the same for the whole session), with the
    /// signed-in account's unit if any.
    fn start<S: OrderStore>(
        &mut self,
        store: &S,
        account: Option<AccountUnit>,
    ) -> ApplicationEvent {
        match store.load_catalogue() {
            Ok(Some(fetched)) => self.catalogue = Arc::new(fetched),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "the kept catalogue is not readable"),
        }
        ApplicationEvent::Start {
            session: SessionId(crate::renewal::random_u64()),
            agreement_version: self.catalogue.agreement.version.clone(),
            account,
        }
    }
}

impl<S, P, C> Binding<Application, ApplicationExecutor<S, P, C>> for ApplicationBinding
where
    S: OrderStore + Send,
    P: ReceiptPrinter + Send + 'static,
    C: CaPort,
{
    fn event(
        &mut self,
        ui: UiEvent,
        state: &ApplicationState,
        exec: &mut ApplicationExecutor<S, P, C>,
    ) -> Result<ApplicationEvent, UiEvent> {
        let input = match ui {
            UiEvent::Application(input) => input,
            // The staff key's PIN, while its pad shows on 实人认证.
            UiEvent::Pin(pin) if staff_pad_shown(state) => {
                exec.pin = Some(pin);
                return Ok(ApplicationEvent::StaffPinTyped);
            }
            other => return Err(other),
        };
        match input {
            ApplicationInput::Start => Ok(self.start(&exec.store, None)),
            ApplicationInput::StartFor(unit) => Ok(self.start(&exec.store, Some(unit))),
            // Only what a customer does: what devices, the store, the CA or
            // staff answer never comes from a screen.
            ApplicationInput::Step(event) if customer_event(&event) => Ok(*event),
            ApplicationInput::Step(event) => {
                tracing::warn!(?event, "not a customer's action: ignored");
                Err(UiEvent::Application(ApplicationInput::Step(event)))
            }
        }
    }

    fn view(
        &self,
        state: &ApplicationState,
        exec: &ApplicationExecutor<S, P, C>,
        cx: &Cx,
    ) -> UiUpdate {
        // The preview of this session's document, while it is the one kept.
        let preview = exec.preview.as_ref().filter(|p| {
            matches!(state, ApplicationState::Filling { session, draft, .. }
                if *session == p.session && draft.captures.iter().any(|c| c.kind == p.kind))
        });
        UiUpdate::Application {
            state: Box::new(state.clone()),
            catalogue: Arc::clone(&self.catalogue),
            preview: preview.map(|p| (p.kind, Arc::clone(&p.frame))),
            ctx: cx.step,
        }
    }
}

/// Whether the staff key's PIN pad shows (the pad's PIN is then the
/// staff key's).
fn staff_pad_shown(state: &ApplicationState) -> bool {
    matches!(state, ApplicationState::Filling { draft, .. }
        if matches!(draft.staff_check, Some(StaffCheck::Asking { .. })))
}

/// Whether a screen may send `event`.
fn customer_event(event: &ApplicationEvent) -> bool {
    use ApplicationEvent as E;
    matches!(
        event,
        E::AgreementScrolledToEnd
            | E::AgreementAccepted
            | E::ProjectChosen(_)
            | E::UnitEntered(_)
            | E::HandlerEntered(_)
            | E::SealHoldersEntered(_)
            | E::InvoiceEntered(_)
            | E::PickupChosen(_)
            | E::AimRequested(_)
            | E::AimCancelled
            | E::CaptureRequested(_)
            | E::PrintForm
            | E::AttachmentsDone
            | E::FaceCaptureConsent(_)
            | E::FaceUploadConsent(_)
            | E::IdentityDone
            | E::StaffCheckOpened
            | E::StaffCheckCancelled
            | E::Edit(_)
            | E::ContinueDraft
            | E::Submit
            | E::Back
            | E::GoHome
    )
}
