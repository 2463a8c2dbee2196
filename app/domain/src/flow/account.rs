//! 企业账户 (spec §3.4): sign in, register, forgot password, and, signed in,
//! the unit's information, change password and change mobile; and, when
//! the mobile on file is lost, a new one asked for with photographs of the
//! business licence and the handler's ID for the CA's staff to decide
//! (seed 000 §3.1.3, 变更手机号). Offered and
//! never required: every page offers to go on without an account, and
//! while the CA cannot be reached the screen says so at once (the CA is
//! probed when the page opens).
//!
//! Passwords, SMS codes and the session token never enter this flow: the
//! screen hands them to the adapter with the request ([`Request`] holds
//! only what may be kept), so no state, event or effect can store or log
//! them. A restart therefore ends the account session (the token was in
//! memory only); leaving (返回首页) or the idle timer signs out at the CA.

use super::driver::{Flow, Signal, Timer};
use super::{SessionId, Step, StepContext};
use crate::account::{AccountInfo, AccountUnit};
use crate::ids::{MobileNumber, Uscc};
use crate::order::attachment::AttachmentKind;
use crate::order::text::UnitName;
use crate::ports::account::{AccountRefusal, CodePurpose};
use serde::{Deserialize, Serialize};

/// The account screen's pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Page {
    /// 登录 (where the screen opens).
    SignIn,
    /// 企业注册.
    Register,
    /// 忘记密码.
    Forgot,
    /// 单位主体信息 (signed in).
    Unit,
    /// 修改密码 (signed in).
    ChangePassword,
    /// 手机号变更 (signed in).
    ChangeMobile,
    /// 变更手机号 when the mobile on file is lost (signed out, from 忘记密码):
    /// the new number and the two documents, for the CA's staff.
    MobileReview,
}

impl Page {
    /// Whether the page needs a signed-in account.
    #[must_use]
    pub fn signed_in(self) -> bool {
        matches!(self, Self::Unit | Self::ChangePassword | Self::ChangeMobile)
    }
}

/// What the customer asks the CA, without the secrets typed with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Request {
    /// 获取验证码; registering and resetting a password are for the unit
    /// with this USCC (the code verifies only for it).
    SendCode {
        mobile: MobileNumber,
        purpose: CodePurpose,
        #[serde(default)]
        uscc: Option<Uscc>,
    },
    /// 登录 (with the password).
    SignIn { uscc: Uscc },
    /// 注册 (with the password and the code).
    Register {
        unit_name: UnitName,
        uscc: Uscc,
        mobile: MobileNumber,
    },
    /// 重置密码 (with the code and the new password).
    ResetPassword { uscc: Uscc, mobile: MobileNumber },
    /// 确认修改 (with the current and the new password).
    ChangePassword,
    /// 提交 (with the code sent to the new number).
    ChangeMobile { new_mobile: MobileNumber },
    /// 提交审核 (with the code sent to the new number and the documents
    /// photographed, which the adapter holds).
    MobileReview {
        uscc: Uscc,
        new_mobile: MobileNumber,
    },
}

impl Request {
    /// Whether the request is made on `page` (a code to a new number is
    /// asked on both pages that change the mobile).
    #[must_use]
    pub fn made_on(&self, page: Page) -> bool {
        let on = match self {
            Self::SendCode { purpose, .. } => match purpose {
                CodePurpose::Register => Page::Register,
                CodePurpose::ResetPassword => Page::Forgot,
                CodePurpose::ChangeMobile => {
                    return matches!(page, Page::ChangeMobile | Page::MobileReview);
                }
            },
            Self::SignIn { .. } => Page::SignIn,
            Self::Register { .. } => Page::Register,
            Self::ResetPassword { .. } => Page::Forgot,
            Self::ChangePassword => Page::ChangePassword,
            Self::ChangeMobile { .. } => Page::ChangeMobile,
            Self::MobileReview { .. } => Page::MobileReview,
        };
        on == page
    }
}

/// The documents a new mobile is asked with when the old one is lost.
pub const REVIEW_DOCUMENTS: [AttachmentKind; 2] =
    [AttachmentKind::BusinessLicence, AttachmentKind::HandlerId];

/// A document photographed for the review: the adapter holds its image,
/// the flow only that it is there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewCapture {
    pub kind: AttachmentKind,
    /// Its size in bytes (at most 1 MB).
    pub size: u32,
}

/// Where the documents of 变更手机号 stand.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewDocuments {
    /// Photographed (at most one of each kind).
    pub taken: Vec<ReviewCapture>,
    /// The camera's live view is open for this document.
    pub aiming: Option<AttachmentKind>,
    /// 拍照 was tapped: the capture runs.
    pub capturing: Option<AttachmentKind>,
    /// The last capture of this document found no page.
    pub failed: Option<AttachmentKind>,
    /// Just taken: shown large for the customer to check that it is
    /// legible before it is accepted (or taken again).
    #[serde(default)]
    pub checking: Option<AttachmentKind>,
}

impl ReviewDocuments {
    /// Whether every document is photographed.
    #[must_use]
    pub fn complete(&self) -> bool {
        REVIEW_DOCUMENTS
            .iter()
            .all(|k| self.taken.iter().any(|t| t.kind == *k))
    }

    /// Whether the camera is busy with one of them.
    #[must_use]
    pub fn busy(&self) -> bool {
        self.aiming.is_some() || self.capturing.is_some()
    }
}

/// What the CA did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reply {
    CodeSent {
        resend_after_secs: u32,
    },
    SignedIn(AccountInfo),
    Registered,
    PasswordReset,
    PasswordChanged,
    MobileChanged(AccountInfo),
    /// The CA keeps the request for its staff.
    ReviewRequested,
}

impl Reply {
    /// Whether this is an answer to `request`.
    fn answers(&self, request: &Request) -> bool {
        matches!(
            (self, request),
            (Self::CodeSent { .. }, Request::SendCode { .. })
                | (Self::SignedIn(_), Request::SignIn { .. })
                | (Self::Registered, Request::Register { .. })
                | (Self::PasswordReset, Request::ResetPassword { .. })
                | (Self::PasswordChanged, Request::ChangePassword)
                | (Self::MobileChanged(_), Request::ChangeMobile { .. })
                | (Self::ReviewRequested, Request::MobileReview { .. })
        )
    }
}

/// Why a request did nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Failure {
    Refused(AccountRefusal),
    /// The CA could not be reached.
    Unreachable,
    /// The kiosk no longer held what was typed with it (it restarted):
    /// the customer types it again.
    Retype,
}

/// What the screen tells the customer about the last request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Said {
    /// The code is on its way; another after this many seconds.
    CodeSent {
        resend_after_secs: u32,
    },
    /// 注册成功: sign in now.
    Registered,
    /// 密码已重置: sign in with the new password.
    PasswordReset,
    PasswordChanged,
    MobileChanged,
    /// 变更手机号 was sent for the CA's staff to decide.
    ReviewRequested,
    SignedOut,
    Failed(Failure),
}

/// The account screen while open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Desk {
    pub session: SessionId,
    pub page: Page,
    /// The signed-in account (`None`: signed out).
    pub account: Option<AccountInfo>,
    /// The request the CA is answering now (one at a time).
    pub asking: Option<Request>,
    pub said: Option<Said>,
    /// Whether the CA answers (`None`: not known yet).
    pub reachable: Option<bool>,
    /// 变更手机号's documents.
    #[serde(default)]
    pub review: ReviewDocuments,
}

impl Desk {
    /// The unit an application started from here is pre-filled with.
    #[must_use]
    pub fn unit(&self) -> Option<&AccountUnit> {
        self.account.as_ref().map(|a| &a.unit)
    }
}

/// Where 企业账户 stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccountState {
    Home,
    Open(Box<Desk>),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccountEvent {
    /// 企业账户 was opened; the adapter made a session id.
    Open(SessionId),
    /// The customer went to another page of the screen.
    Show(Page),
    /// The customer asked the CA (the adapter holds what was typed with it).
    Ask(Request),
    /// The CA's answer to the request.
    Answered(Result<Reply, Failure>),
    /// Whether the CA answers (the probe when the screen opened, or the
    /// kiosk's link).
    Reachable(bool),
    /// 拍摄: the live view for one of [`REVIEW_DOCUMENTS`].
    Aim(AttachmentKind),
    /// 取消 on the live view.
    AimCancelled,
    /// 拍照 on the live view.
    Capture(AttachmentKind),
    /// 确认使用 on the document just taken.
    AcceptCapture,
    /// The adapter holds the document's image (`None`: no page found, or
    /// no camera).
    Captured(AttachmentKind, Option<ReviewCapture>),
    /// 退出登录.
    SignOut,
    GoHome,
    IdleTimeout,
    Restarted,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccountEffect {
    /// Ask whether the CA answers.
    Probe,
    /// Send the request, with what the customer typed for it.
    Ask {
        session: SessionId,
        request: Request,
    },
    /// Photograph a document of 变更手机号 and hold it (replacing one of
    /// its kind) for the session.
    Capture {
        session: SessionId,
        kind: AttachmentKind,
    },
    /// The documents were sent: forget their images.
    DiscardCaptures { session: SessionId },
    /// End the session at the CA and forget its token.
    SignOut { session: SessionId },
    /// Forget what was typed and shown.
    WipeSession { session: SessionId },
}

type AccountStep = Step<AccountState, AccountEffect>;

/// The account flow, for the driver.
#[derive(Debug)]
pub struct Account;

impl Flow for Account {
    type State = AccountState;
    type Event = AccountEvent;
    type Effect = AccountEffect;
    const NAME: &'static str = "account";
    const FORMAT: u32 = 1;

    fn home() -> AccountState {
        AccountState::Home
    }

    fn step(state: AccountState, event: AccountEvent, _: &StepContext) -> AccountStep {
        step(state, event)
    }

    fn session(state: &AccountState) -> Option<SessionId> {
        match state {
            AccountState::Home => None,
            AccountState::Open(desk) => Some(desk.session),
        }
    }

    fn signal(signal: Signal) -> Option<AccountEvent> {
        match signal {
            Signal::GoHome => Some(AccountEvent::GoHome),
            Signal::IdleTimeout => Some(AccountEvent::IdleTimeout),
            Signal::Restarted => Some(AccountEvent::Restarted),
            Signal::Network { online } => Some(AccountEvent::Reachable(online)),
            Signal::KeyInserted | Signal::KeyRemoved => None,
        }
    }

    fn timer(_: &AccountState, _: &StepContext) -> Option<Timer<AccountEvent>> {
        None
    }
}

/// One step of 企业账户.
#[must_use]
pub fn step(state: AccountState, event: AccountEvent) -> AccountStep {
    use AccountEvent as E;
    match (state, event) {
        (AccountState::Home, E::Open(session)) => Step::with(
            AccountState::Open(Box::new(Desk {
                session,
                page: Page::SignIn,
                account: None,
                asking: None,
                said: None,
                reachable: None,
                review: ReviewDocuments::default(),
            })),
            vec![AccountEffect::Probe],
        ),
        (AccountState::Home, _) => Step::to(AccountState::Home),
        (AccountState::Open(desk), E::GoHome | E::IdleTimeout) => {
            let session = desk.session;
            let mut effects = Vec::new();
            if desk.account.is_some() {
                effects.push(AccountEffect::SignOut { session });
            }
            effects.push(AccountEffect::WipeSession { session });
            Step::with(AccountState::Home, effects)
        }
        // The token was in memory only: nothing to sign out with.
        (AccountState::Open(desk), E::Restarted) => Step::with(
            AccountState::Home,
            vec![AccountEffect::WipeSession {
                session: desk.session,
            }],
        ),
        (AccountState::Open(desk), event) => on_desk(desk, event),
    }
}

fn stay(desk: Box<Desk>) -> AccountStep {
    Step::to(AccountState::Open(desk))
}

fn on_desk(mut desk: Box<Desk>, event: AccountEvent) -> AccountStep {
    use AccountEvent as E;
    match event {
        E::Show(page) => {
            if desk.asking.is_none()
                && desk.review.capturing.is_none()
                && page.signed_in() == desk.account.is_some()
            {
                desk.page = page;
                desk.said = None;
                desk.review.aiming = None;
                desk.review.checking = None;
            }
            stay(desk)
        }
        E::Aim(kind) => {
            if desk.page == Page::MobileReview
                && REVIEW_DOCUMENTS.contains(&kind)
                && desk.asking.is_none()
                && !desk.review.busy()
            {
                desk.review.aiming = Some(kind);
                desk.review.failed = None;
                desk.review.checking = None;
            }
            stay(desk)
        }
        E::AcceptCapture => {
            desk.review.checking = None;
            stay(desk)
        }
        E::AimCancelled => {
            desk.review.aiming = None;
            stay(desk)
        }
        E::Capture(kind) => {
            if desk.review.aiming != Some(kind) || desk.page != Page::MobileReview {
                return stay(desk);
            }
            desk.review.aiming = None;
            desk.review.capturing = Some(kind);
            let session = desk.session;
            Step::with(
                AccountState::Open(desk),
                vec![AccountEffect::Capture { session, kind }],
            )
        }
        E::Captured(kind, taken) => {
            if desk.review.capturing != Some(kind) {
                return stay(desk);
            }
            desk.review.capturing = None;
            match taken {
                Some(capture) if capture.kind == kind => {
                    desk.review.taken.retain(|t| t.kind != kind);
                    desk.review.taken.push(capture);
                    desk.review.checking = Some(kind);
                }
                // The adapter keeps the one taken before, if any.
                _ => desk.review.failed = Some(kind),
            }
            stay(desk)
        }
        E::Ask(request) => {
            let documents = !matches!(request, Request::MobileReview { .. })
                || (desk.review.complete()
                    && !desk.review.busy()
                    && desk.review.checking.is_none());
            let allowed = desk.asking.is_none()
                && documents
                && request.made_on(desk.page)
                && desk.page.signed_in() == desk.account.is_some();
            if !allowed {
                return stay(desk);
            }
            desk.asking = Some(request.clone());
            desk.said = None;
            let session = desk.session;
            Step::with(
                AccountState::Open(desk),
                vec![AccountEffect::Ask { session, request }],
            )
        }
        E::Answered(answer) => {
            let Some(request) = desk.asking.take() else {
                return stay(desk);
            };
            answered(desk, &request, answer)
        }
        E::Reachable(online) => {
            desk.reachable = Some(online);
            stay(desk)
        }
        E::SignOut => {
            if desk.account.take().is_none() {
                return stay(desk);
            }
            desk.page = Page::SignIn;
            desk.asking = None;
            desk.said = Some(Said::SignedOut);
            let session = desk.session;
            Step::with(
                AccountState::Open(desk),
                vec![AccountEffect::SignOut { session }],
            )
        }
        E::Open(_) | E::GoHome | E::IdleTimeout | E::Restarted => stay(desk),
    }
}

fn answered(mut desk: Box<Desk>, request: &Request, answer: Result<Reply, Failure>) -> AccountStep {
    match answer {
        Ok(reply) if !reply.answers(request) => stay(desk),
        Ok(reply) => {
            desk.reachable = Some(true);
            let mut effects = Vec::new();
            let (page, said) = match reply {
                Reply::CodeSent { resend_after_secs } => {
                    (desk.page, Some(Said::CodeSent { resend_after_secs }))
                }
                Reply::SignedIn(info) => {
                    desk.account = Some(info);
                    (Page::Unit, None)
                }
                Reply::Registered => (Page::SignIn, Some(Said::Registered)),
                Reply::PasswordReset => (Page::SignIn, Some(Said::PasswordReset)),
                Reply::PasswordChanged => (Page::Unit, Some(Said::PasswordChanged)),
                Reply::MobileChanged(info) => {
                    desk.account = Some(info);
                    (Page::Unit, Some(Said::MobileChanged))
                }
                Reply::ReviewRequested => {
                    desk.review = ReviewDocuments::default();
                    effects.push(AccountEffect::DiscardCaptures {
                        session: desk.session,
                    });
                    (Page::SignIn, Some(Said::ReviewRequested))
                }
            };
            // An answer for a page the customer is no longer signed in for
            // (signed out meanwhile) changes nothing.
            if page.signed_in() != desk.account.is_some() {
                return Step::with(AccountState::Open(desk), effects);
            }
            desk.page = page;
            desk.said = said;
            Step::with(AccountState::Open(desk), effects)
        }
        Err(Failure::Refused(AccountRefusal::SessionEnded)) if desk.account.is_some() => {
            desk.account = None;
            desk.page = Page::SignIn;
            desk.said = Some(Said::Failed(Failure::Refused(AccountRefusal::SessionEnded)));
            let session = desk.session;
            Step::with(
                AccountState::Open(desk),
                vec![AccountEffect::SignOut { session }],
            )
        }
        Err(failure) => {
            // The images were no longer there: they are taken again.
            if failure == Failure::Retype && matches!(request, Request::MobileReview { .. }) {
                desk.review.taken.clear();
            }
            match failure {
                Failure::Unreachable => desk.reachable = Some(false),
                Failure::Refused(_) => desk.reachable = Some(true),
                Failure::Retype => {}
            }
            desk.said = Some(Said::Failed(failure));
            stay(desk)
        }
    }
}

/// What the camera's live view shows now: the document aimed at on
/// 变更手机号 (`None`: the camera is off).
#[must_use]
pub fn viewfinder(state: &AccountState) -> Option<(SessionId, AttachmentKind)> {
    let AccountState::Open(desk) = state else {
        return None;
    };
    let kind = desk.review.aiming?;
    (desk.page == Page::MobileReview && desk.review.capturing.is_none() && desk.asking.is_none())
        .then_some((desk.session, kind))
}

#[cfg(test)]
mod tests;
