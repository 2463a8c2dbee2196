#![allow(clippy::unwrap_used, reason = "tests")]

use super::*;
use crate::fixtures;
use proptest::prelude::*;

const S: SessionId = SessionId(7);

fn uscc() -> Uscc {
    fixtures::USCC.parse().unwrap()
}

fn mobile() -> MobileNumber {
    fixtures::MOBILE.parse().unwrap()
}

fn info() -> AccountInfo {
    AccountInfo {
        unit: AccountUnit {
            name: "山西示例煤业有限公司".parse().unwrap(),
            uscc: uscc(),
        },
        mobile: mobile(),
        registered_at: time::macros::datetime!(2026-11-02 09:00 +08:00),
    }
}

fn desk(state: &AccountState) -> &Desk {
    match state {
        AccountState::Open(desk) => desk,
        AccountState::Home => panic!("not open"),
    }
}

fn run(state: AccountState, events: Vec<AccountEvent>) -> (AccountState, Vec<AccountEffect>) {
    let mut effects = Vec::new();
    let mut state = state;
    for e in events {
        let s = step(state, e);
        state = s.state;
        effects.extend(s.effects);
    }
    (state, effects)
}

fn signed_in() -> AccountState {
    let (state, _) = run(
        AccountState::Home,
        vec![
            AccountEvent::Open(S),
            AccountEvent::Ask(Request::SignIn { uscc: uscc() }),
            AccountEvent::Answered(Ok(Reply::SignedIn(info()))),
        ],
    );
    state
}

#[test]
fn opening_probes_the_ca_and_an_unreachable_ca_is_said_at_once() {
    let opened = step(AccountState::Home, AccountEvent::Open(S));
    assert_eq!(opened.effects, vec![AccountEffect::Probe]);
    assert_eq!(desk(&opened.state).page, Page::SignIn);
    let (state, _) = run(opened.state, vec![AccountEvent::Reachable(false)]);
    assert_eq!(desk(&state).reachable, Some(false));
    // A request anyway: the CA's silence is said, nothing changes.
    let (state, effects) = run(
        state,
        vec![
            AccountEvent::Ask(Request::SignIn { uscc: uscc() }),
            AccountEvent::Answered(Err(Failure::Unreachable)),
        ],
    );
    assert_eq!(effects.len(), 1);
    assert_eq!(desk(&state).said, Some(Said::Failed(Failure::Unreachable)));
    assert_eq!(desk(&state).account, None);
}

#[test]
fn signing_in_shows_the_unit_and_leaving_signs_out_at_the_ca() {
    let state = signed_in();
    let d = desk(&state);
    assert_eq!(d.page, Page::Unit);
    assert_eq!(d.unit(), Some(&info().unit));
    let left = step(state, AccountEvent::GoHome);
    assert_eq!(left.state, AccountState::Home);
    assert_eq!(
        left.effects,
        vec![
            AccountEffect::SignOut { session: S },
            AccountEffect::WipeSession { session: S }
        ]
    );
    // Signed out, leaving only wipes.
    let (state, _) = run(AccountState::Home, vec![AccountEvent::Open(S)]);
    let left = step(state, AccountEvent::IdleTimeout);
    assert_eq!(
        left.effects,
        vec![AccountEffect::WipeSession { session: S }]
    );
}

#[test]
fn registering_and_resetting_lead_to_sign_in_with_what_happened() {
    let (state, effects) = run(
        AccountState::Home,
        vec![
            AccountEvent::Open(S),
            AccountEvent::Show(Page::Register),
            AccountEvent::Ask(Request::SendCode {
                mobile: mobile(),
                purpose: CodePurpose::Register,
                uscc: Some(uscc()),
            }),
            AccountEvent::Answered(Ok(Reply::CodeSent {
                resend_after_secs: 60,
            })),
        ],
    );
    assert_eq!(effects.len(), 2);
    assert_eq!(desk(&state).page, Page::Register);
    assert_eq!(
        desk(&state).said,
        Some(Said::CodeSent {
            resend_after_secs: 60
        })
    );
    let (state, _) = run(
        state,
        vec![
            AccountEvent::Ask(Request::Register {
                unit_name: info().unit.name,
                uscc: uscc(),
                mobile: mobile(),
            }),
            AccountEvent::Answered(Ok(Reply::Registered)),
        ],
    );
    assert_eq!(desk(&state).page, Page::SignIn);
    assert_eq!(desk(&state).said, Some(Said::Registered));
    let (state, _) = run(
        state,
        vec![
            AccountEvent::Show(Page::Forgot),
            AccountEvent::Ask(Request::ResetPassword {
                uscc: uscc(),
                mobile: mobile(),
            }),
            AccountEvent::Answered(Err(Failure::Refused(AccountRefusal::CodeWrong))),
        ],
    );
    assert_eq!(desk(&state).page, Page::Forgot);
    assert_eq!(
        desk(&state).said,
        Some(Said::Failed(Failure::Refused(AccountRefusal::CodeWrong)))
    );
    let (state, _) = run(
        state,
        vec![
            AccountEvent::Ask(Request::ResetPassword {
                uscc: uscc(),
                mobile: mobile(),
            }),
            AccountEvent::Answered(Ok(Reply::PasswordReset)),
        ],
    );
    assert_eq!(desk(&state).page, Page::SignIn);
    assert_eq!(desk(&state).said, Some(Said::PasswordReset));
}

#[test]
fn pages_and_requests_follow_the_sign_in() {
    // Signed out: no signed-in page, no signed-in request.
    let (state, effects) = run(
        AccountState::Home,
        vec![
            AccountEvent::Open(S),
            AccountEvent::Show(Page::ChangePassword),
            AccountEvent::Ask(Request::ChangePassword),
        ],
    );
    assert_eq!(effects, vec![AccountEffect::Probe]);
    assert_eq!(desk(&state).page, Page::SignIn);
    // Signed in: no sign-in page; a request of another page is ignored.
    let (state, effects) = run(
        signed_in(),
        vec![
            AccountEvent::Show(Page::Register),
            AccountEvent::Ask(Request::SignIn { uscc: uscc() }),
            AccountEvent::Show(Page::ChangeMobile),
        ],
    );
    assert!(effects.is_empty());
    assert_eq!(desk(&state).page, Page::ChangeMobile);
    let mut changed = info();
    changed.mobile = "13900139000".parse().unwrap();
    let (state, _) = run(
        state,
        vec![
            AccountEvent::Ask(Request::ChangeMobile {
                new_mobile: changed.mobile.clone(),
            }),
            AccountEvent::Answered(Ok(Reply::MobileChanged(changed.clone()))),
        ],
    );
    assert_eq!(desk(&state).account, Some(changed));
    assert_eq!(desk(&state).page, Page::Unit);
    assert_eq!(desk(&state).said, Some(Said::MobileChanged));
}

#[test]
fn a_session_ended_at_the_ca_signs_out_here() {
    let (state, effects) = run(
        signed_in(),
        vec![
            AccountEvent::Show(Page::ChangePassword),
            AccountEvent::Ask(Request::ChangePassword),
            AccountEvent::Answered(Err(Failure::Refused(AccountRefusal::SessionEnded))),
        ],
    );
    assert_eq!(effects.last(), Some(&AccountEffect::SignOut { session: S }));
    let d = desk(&state);
    assert_eq!((d.page, d.account.as_ref()), (Page::SignIn, None));
}

#[test]
fn signing_out_while_a_request_runs_ignores_its_answer() {
    let (state, effects) = run(
        signed_in(),
        vec![
            AccountEvent::Show(Page::ChangeMobile),
            AccountEvent::Ask(Request::ChangeMobile {
                new_mobile: mobile(),
            }),
            AccountEvent::SignOut,
            AccountEvent::Answered(Ok(Reply::MobileChanged(info()))),
        ],
    );
    assert_eq!(effects.last(), Some(&AccountEffect::SignOut { session: S }));
    let d = desk(&state);
    assert_eq!((d.page, d.account.as_ref()), (Page::SignIn, None));
    assert_eq!(d.said, Some(Said::SignedOut));
}

#[test]
fn a_restart_ends_the_session_without_a_token_to_sign_out_with() {
    let restarted = step(signed_in(), AccountEvent::Restarted);
    assert_eq!(restarted.state, AccountState::Home);
    assert_eq!(
        restarted.effects,
        vec![AccountEffect::WipeSession { session: S }]
    );
}

fn any_page() -> impl Strategy<Value = Page> {
    prop_oneof![
        Just(Page::SignIn),
        Just(Page::Register),
        Just(Page::Forgot),
        Just(Page::Unit),
        Just(Page::ChangePassword),
        Just(Page::ChangeMobile),
    ]
}

fn any_request() -> impl Strategy<Value = Request> {
    prop_oneof![
        Just(Request::SignIn { uscc: uscc() }),
        Just(Request::SendCode {
            mobile: mobile(),
            purpose: CodePurpose::Register,
            uscc: Some(uscc()),
        }),
        Just(Request::Register {
            unit_name: info().unit.name,
            uscc: uscc(),
            mobile: mobile()
        }),
        Just(Request::ResetPassword {
            uscc: uscc(),
            mobile: mobile()
        }),
        Just(Request::ChangePassword),
        Just(Request::ChangeMobile {
            new_mobile: mobile()
        }),
    ]
}

fn any_answer() -> impl Strategy<Value = Result<Reply, Failure>> {
    prop_oneof![
        Just(Ok(Reply::SignedIn(info()))),
        Just(Ok(Reply::Registered)),
        Just(Ok(Reply::PasswordReset)),
        Just(Ok(Reply::PasswordChanged)),
        Just(Ok(Reply::MobileChanged(info()))),
        Just(Ok(Reply::CodeSent {
            resend_after_secs: 60
        })),
        Just(Err(Failure::Unreachable)),
        Just(Err(Failure::Retype)),
        Just(Err(Failure::Refused(AccountRefusal::SessionEnded))),
        Just(Err(Failure::Refused(AccountRefusal::SignInFailed))),
    ]
}

fn any_event() -> impl Strategy<Value = AccountEvent> {
    prop_oneof![
        Just(AccountEvent::Open(S)),
        any_page().prop_map(AccountEvent::Show),
        any_request().prop_map(AccountEvent::Ask),
        any_answer().prop_map(AccountEvent::Answered),
        any::<bool>().prop_map(AccountEvent::Reachable),
        Just(AccountEvent::SignOut),
        Just(AccountEvent::GoHome),
        Just(AccountEvent::IdleTimeout),
        Just(AccountEvent::Restarted),
    ]
}

proptest! {
    /// Whatever happens: a signed-in page only with an account, one
    /// request at a time, only requests of the page on show, every end of
    /// the session wipes it, and a signed-in session ends with a sign-out
    /// at the CA unless the kiosk restarted.
    #[test]
    fn random_sessions_keep_every_invariant(events in proptest::collection::vec(any_event(), 0..40)) {
        let mut state = AccountState::Home;
        for event in events {
            let before = state.clone();
            let ends = matches!(event, AccountEvent::GoHome | AccountEvent::IdleTimeout | AccountEvent::Restarted);
            let restarted = matches!(event, AccountEvent::Restarted);
            let s = step(state, event);
            let asks = s.effects.iter().filter(|e| matches!(e, AccountEffect::Ask { .. })).count();
            prop_assert!(asks <= 1);
            if let AccountState::Open(d) = &s.state {
                prop_assert_eq!(d.page.signed_in(), d.account.is_some());
                if asks == 1 {
                    prop_assert!(matches!(&before, AccountState::Open(b) if b.asking.is_none()));
                    prop_assert_eq!(d.asking.as_ref().map(Request::page), Some(d.page));
                }
            }
            if let (AccountState::Open(b), true) = (&before, ends) {
                prop_assert_eq!(&s.state, &AccountState::Home);
                prop_assert_eq!(s.effects.last(), Some(&AccountEffect::WipeSession { session: b.session }));
                let signs_out = s.effects.contains(&AccountEffect::SignOut { session: b.session });
                prop_assert_eq!(signs_out, b.account.is_some() && !restarted);
            }
            state = s.state;
        }
    }
}
