//! 企业账户 in the runtime: its executor (every call on the sync runtime;
//! the session token, what was typed with a request and the documents of
//! 变更手机号 kept in memory only, forgotten with the session) and its
//! binding to the screens.

use crate::runtime::{Answers, Cx};
use crate::slot::{Binding, FlowExecutor, Notice, save_journal};
use crate::ui_port::UiUpdate;
use crate::viewfinder::Viewfinder;
use kiosk_config::CameraSource;
use kiosk_domain::flow::SessionId;
use kiosk_domain::flow::account::{
    self, Account, AccountEffect, AccountEvent, AccountState, Failure, Reply, Request,
    ReviewCapture,
};
use kiosk_domain::flow::driver::{Executor, Flow, Journal, Ran, Saved, Ticket};
use kiosk_domain::ids::Uscc;
use kiosk_domain::order::attachment::{Attachment, AttachmentKind};
use kiosk_domain::ports::account::{
    AccountError, AccountPort, AccountRefusal, AccountSession, MobileReview, Registration,
};
use kiosk_domain::ports::ca::CaPort;
use kiosk_domain::ports::camera::Frame;
use kiosk_domain::ports::store::OrderStore;
use kiosk_ui::{AccountInput, AccountSecrets, UiEvent};
use std::any::Any;
use std::sync::Arc;

/// A signed-in session: its token and the account's login name.
type Signed = (AccountSession, Uscc);

/// What a call sends back to the flow thread.
struct Answer {
    reply: Result<Reply, Failure>,
    /// The session a sign-in opened.
    opened: Option<Signed>,
}

/// A document of 变更手机号 photographed, or not.
struct Captured {
    session: SessionId,
    kind: AttachmentKind,
    attachment: Option<Attachment>,
    preview: Option<Frame>,
}

/// A document of 变更手机号 held for its session, with what the screen shows
/// of it.
struct Held {
    session: SessionId,
    attachment: Attachment,
    preview: Option<Arc<Frame>>,
}

/// 企业账户's executor.
pub struct AccountExecutor<S, C> {
    store: S,
    /// `None`: this kiosk has no CA configured.
    ca: Option<C>,
    answers: Answers,
    /// What the customer typed with the request about to be sent.
    secrets: Option<AccountSecrets>,
    /// Shared with a call that runs in it; taken by the sign-out.
    signed: Option<Arc<Signed>>,
    notices: Vec<Notice>,
    /// Where 变更手机号's documents are photographed (`None`: no camera).
    camera: Option<CameraSource>,
    /// The camera's live view, run as each state saved asks.
    viewfinder: Option<Viewfinder>,
    /// 变更手机号's documents, one of each kind.
    held: Vec<Held>,
}

impl<S, C> std::fmt::Debug for AccountExecutor<S, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountExecutor")
            .field("signed_in", &self.signed.is_some())
            .finish_non_exhaustive()
    }
}

impl<S, C> AccountExecutor<S, C> {
    #[must_use]
    pub fn new(store: S, ca: Option<C>, answers: Answers) -> Self {
        Self {
            store,
            ca,
            answers,
            secrets: None,
            signed: None,
            notices: Vec::new(),
            camera: None,
            viewfinder: None,
            held: Vec::new(),
        }
    }

    /// 变更手机号's documents are photographed with `camera`, aimed at
    /// through `viewfinder`.
    #[must_use]
    pub fn with_camera(mut self, camera: CameraSource, viewfinder: Option<Viewfinder>) -> Self {
        self.camera = Some(camera);
        self.viewfinder = viewfinder;
        self
    }

    /// The documents held for `session`, as the screen shows them.
    fn previews(&self, session: Option<SessionId>) -> Vec<(AttachmentKind, Arc<Frame>)> {
        self.held
            .iter()
            .filter(|h| Some(h.session) == session)
            .filter_map(|h| Some((h.attachment.kind(), Arc::clone(h.preview.as_ref()?))))
            .collect()
    }

    /// Keeps what was typed with the request that follows.
    fn hand_over(&mut self, secrets: AccountSecrets) {
        self.secrets = Some(secrets);
    }
}

impl<S: OrderStore, C> Journal<AccountState, AccountEffect> for AccountExecutor<S, C> {
    type Error = S::Error;
    fn save(&mut self, saved: &Saved<AccountState, AccountEffect>) -> Result<(), S::Error> {
        save_journal::<Account, S>(&mut self.store, saved)?;
        // The camera follows each state saved (and stops for a capture
        // before the capture opens it).
        if let Some(viewfinder) = &mut self.viewfinder {
            viewfinder.want(account::viewfinder(&saved.state));
        }
        Ok(())
    }
}

fn failure(e: &AccountError) -> Failure {
    match e {
        AccountError::Unreachable(_) => Failure::Unreachable,
        AccountError::Refused(r) => Failure::Refused(r.clone()),
        AccountError::Invalid(_) => Failure::Refused(AccountRefusal::Other),
    }
}

/// The call for `request` with what was typed for it; `Retype` when
/// something typed for it is not there (the kiosk restarted meanwhile).
async fn call<C: AccountPort>(
    ca: C,
    request: Request,
    secrets: AccountSecrets,
    signed: Option<Arc<Signed>>,
    documents: Vec<Attachment>,
) -> Answer {
    let document = |kind| documents.iter().find(|a| a.kind() == kind);
    let review_documents = (
        document(AttachmentKind::BusinessLicence),
        document(AttachmentKind::HandlerId),
    );
    let mut opened = None;
    let done: Result<Option<Reply>, AccountError> = async {
        let (password, new_password, code) = (
            secrets.password.as_ref(),
            secrets.new_password.as_ref(),
            secrets.code.as_ref(),
        );
        let session = signed.as_deref().map(|(s, u)| (s, u));
        Ok(match (request, password, new_password, code, session) {
            (
                Request::SendCode {
                    mobile,
                    purpose,
                    uscc,
                },
                ..,
            ) => {
                let secs = ca.send_code(&mobile, purpose, uscc.as_ref()).await?;
                Some(Reply::CodeSent {
                    resend_after_secs: secs,
                })
            }
            (Request::SignIn { uscc }, Some(password), ..) => {
                let session = ca.sign_in(&uscc, password).await?;
                let info = ca.unit_info(&session).await?;
                opened = Some((session, uscc));
                Some(Reply::SignedIn(info))
            }
            (
                Request::Register {
                    unit_name,
                    uscc,
                    mobile,
                },
                Some(password),
                _,
                Some(code),
                _,
            ) => {
                ca.register(Registration {
                    unit_name: &unit_name,
                    uscc: &uscc,
                    mobile: &mobile,
                    password,
                    code,
                })
                .await?;
                Some(Reply::Registered)
            }
            (Request::ResetPassword { uscc, mobile }, _, Some(new), Some(code), _) => {
                ca.reset_password(&uscc, &mobile, code, new).await?;
                Some(Reply::PasswordReset)
            }
            (Request::ChangePassword, Some(old), Some(new), _, Some((session, uscc))) => {
                ca.change_password(session, uscc, old, new).await?;
                Some(Reply::PasswordChanged)
            }
            (Request::ChangeMobile { new_mobile }, _, _, Some(code), Some((session, _))) => Some(
                Reply::MobileChanged(ca.change_mobile(session, &new_mobile, code).await?),
            ),
            (Request::MobileReview { uscc, new_mobile }, _, _, Some(code), _) => {
                let (Some(licence), Some(handler_id)) = review_documents else {
                    return Ok(None);
                };
                ca.request_mobile_review(MobileReview {
                    uscc: &uscc,
                    new_mobile: &new_mobile,
                    code,
                    licence,
                    handler_id,
                })
                .await?;
                Some(Reply::ReviewRequested)
            }
            (Request::ChangePassword | Request::ChangeMobile { .. }, .., None) => {
                return Err(AccountError::Refused(AccountRefusal::SessionEnded));
            }
            _ => None,
        })
    }
    .await;
    let reply = match done {
        Ok(Some(reply)) => Ok(reply),
        Ok(None) => Err(Failure::Retype),
        Err(e) => {
            tracing::info!(error = %e, "an account request did not go through");
            Err(failure(&e))
        }
    };
    Answer { reply, opened }
}

impl<S: OrderStore, C: CaPort + AccountPort> Executor<AccountEffect, AccountEvent>
    for AccountExecutor<S, C>
{
    type Error = std::convert::Infallible;

    fn run(
        &mut self,
        effect: &AccountEffect,
        ticket: Ticket,
    ) -> Result<Ran<AccountEvent>, Self::Error> {
        Ok(match effect {
            AccountEffect::Probe => {
                let Some(ca) = self.ca.clone() else {
                    return Ok(Ran::Answered(Some(AccountEvent::Reachable(false))));
                };
                self.answers.spawn(Account::NAME, ticket, async move {
                    let outcome = ca.probe().await;
                    AccountEvent::Reachable(
                        outcome.as_ref().is_ok() || outcome.is_err_and(|e| e.reached_ca()),
                    )
                });
                Ran::Started
            }
            AccountEffect::Ask { request, session } => {
                let secrets = self.secrets.take().unwrap_or_default();
                let Some(ca) = self.ca.clone() else {
                    return Ok(Ran::Answered(Some(AccountEvent::Answered(Err(
                        Failure::Unreachable,
                    )))));
                };
                let signed = self.signed.clone();
                let request = request.clone();
                let documents = match &request {
                    Request::MobileReview { .. } => self
                        .held
                        .iter()
                        .filter(|h| h.session == *session)
                        .map(|h| h.attachment.clone())
                        .collect(),
                    _ => Vec::new(),
                };
                self.answers.spawn(
                    Account::NAME,
                    ticket,
                    call(ca, request, secrets, signed, documents),
                );
                Ran::Started
            }
            AccountEffect::Capture { session, kind } => {
                let (session, kind) = (*session, *kind);
                let Some(camera) = self.camera.clone() else {
                    return Ok(Ran::Answered(Some(AccountEvent::Captured(kind, None))));
                };
                self.answers.spawn_blocking(Account::NAME, ticket, move || {
                    let attachment = match crate::devices::capture(&camera, kind) {
                        Ok(attachment) => Some(attachment),
                        Err(e) => {
                            tracing::info!(?kind, error = %e, "nothing captured");
                            None
                        }
                    };
                    let preview = attachment.as_ref().and_then(crate::application::preview_of);
                    Captured {
                        session,
                        kind,
                        attachment,
                        preview,
                    }
                });
                Ran::Started
            }
            AccountEffect::DiscardCaptures { session } => {
                self.held.retain(|h| h.session != *session);
                Ran::Answered(None)
            }
            AccountEffect::SignOut { .. } => {
                if let (Some(ca), Some(signed)) = (self.ca.clone(), self.signed.take()) {
                    self.answers.detach(async move {
                        if let Err(e) = ca.sign_out(&signed.0).await {
                            tracing::info!(error = %e, "the CA did not hear the sign-out; the session ends by its idle time");
                        }
                    });
                }
                Ran::Answered(None)
            }
            AccountEffect::WipeSession { .. } => {
                self.secrets = None;
                self.signed = None;
                self.held.clear();
                self.notices.push(Notice::SessionWiped);
                Ran::Answered(None)
            }
        })
    }
}

impl<S: OrderStore + Send, C: CaPort + AccountPort> FlowExecutor<Account>
    for AccountExecutor<S, C>
{
    fn finish(
        &mut self,
        answer: Box<dyn Any + Send>,
    ) -> Result<Option<AccountEvent>, std::convert::Infallible> {
        let answer = match answer.downcast::<Answer>() {
            Ok(answer) => *answer,
            Err(other) => match other.downcast::<Captured>() {
                Ok(captured) => return Ok(Some(self.hold(*captured))),
                Err(other) => return Ok(other.downcast::<AccountEvent>().ok().map(|e| *e)),
            },
        };
        if let Some(opened) = answer.opened {
            self.signed = Some(Arc::new(opened));
        }
        Ok(Some(AccountEvent::Answered(answer.reply)))
    }

    fn take_notices(&mut self) -> Vec<Notice> {
        std::mem::take(&mut self.notices)
    }

    /// A sign-in answered after the customer left: its session is ended at
    /// the CA at once rather than left open until its idle time.
    fn discard(&mut self, answer: Box<dyn Any + Send>) {
        let Ok(answer) = answer.downcast::<Answer>() else {
            return;
        };
        if let (Some((session, _)), Some(ca)) = (answer.opened, self.ca.clone()) {
            self.answers.detach(async move {
                if let Err(e) = ca.sign_out(&session).await {
                    tracing::info!(error = %e, "the CA did not hear the sign-out of a session opened after the customer left; it ends by its idle time");
                }
            });
        }
    }
}

impl<S, C> AccountExecutor<S, C> {
    /// Holds a document photographed (in place of one of its kind) and
    /// tells the flow.
    fn hold(&mut self, captured: Captured) -> AccountEvent {
        let Captured {
            session,
            kind,
            attachment,
            preview,
        } = captured;
        let Some(attachment) = attachment else {
            return AccountEvent::Captured(kind, None);
        };
        let size = u32::try_from(attachment.bytes().len()).unwrap_or(u32::MAX);
        self.held
            .retain(|h| h.session == session && h.attachment.kind() != kind);
        self.held.push(Held {
            session,
            attachment,
            preview: preview.map(Arc::new),
        });
        tracing::info!(?kind, bytes = size, "review document kept in memory");
        AccountEvent::Captured(kind, Some(ReviewCapture { kind, size }))
    }
}

/// 企业账户's screens.
#[derive(Debug, Default)]
pub struct AccountBinding;

impl<S: OrderStore + Send, C: CaPort + AccountPort> Binding<Account, AccountExecutor<S, C>>
    for AccountBinding
{
    fn event(
        &mut self,
        ui: UiEvent,
        _state: &AccountState,
        exec: &mut AccountExecutor<S, C>,
    ) -> Result<AccountEvent, UiEvent> {
        let UiEvent::Account(input) = ui else {
            return Err(ui);
        };
        Ok(match input {
            AccountInput::Open => AccountEvent::Open(SessionId(crate::renewal::random_u64())),
            AccountInput::Show(page) => AccountEvent::Show(page),
            AccountInput::Ask { request, secrets } => {
                exec.hand_over(secrets);
                AccountEvent::Ask(request)
            }
            AccountInput::SignOut => AccountEvent::SignOut,
            AccountInput::Aim(kind) => AccountEvent::Aim(kind),
            AccountInput::AimCancelled => AccountEvent::AimCancelled,
            AccountInput::Capture(kind) => AccountEvent::Capture(kind),
            AccountInput::AcceptCapture => AccountEvent::AcceptCapture,
        })
    }

    fn view(&self, state: &AccountState, exec: &AccountExecutor<S, C>, _cx: &Cx) -> UiUpdate {
        UiUpdate::Account {
            state: Box::new(state.clone()),
            previews: exec.previews(Account::session(state)),
        }
    }
}
