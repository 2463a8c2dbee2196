#![allow(clippy::unwrap_used, reason = "tests")]

use super::*;
use crate::fixtures;
use crate::order::attachment::AttachmentKind;
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

fn on_review_page() -> AccountState {
    let (state, _) = run(
        AccountState::Home,
        vec![
            AccountEvent::Open(S),
            AccountEvent::Show(Page::Forgot),
            AccountEvent::Show(Page::MobileReview),
        ],
    );
    state
}

fn photographed(state: AccountState, kind: AttachmentKind) -> (AccountState, Vec<AccountEffect>) {
    run(
        state,
        vec![
            AccountEvent::Aim(kind),
            AccountEvent::Capture(kind),
            AccountEvent::Captured(
                kind,
                Some(ReviewCapture {
                    kind,
                    size: 200_000,
                }),
            ),
            AccountEvent::AcceptCapture,
        ],
    )
}

#[test]
fn a_lost_mobile_is_asked_for_with_both_documents_and_the_images_are_then_forgotten() {
    let state = on_review_page();
    assert_eq!(desk(&state).page, Page::MobileReview);
    let review = Request::MobileReview {
        uscc: uscc(),
        new_mobile: mobile(),
    };
    // The code to the new number is asked on this page too.
    let code = Request::SendCode {
        mobile: mobile(),
        purpose: CodePurpose::ChangeMobile,
        uscc: None,
    };
    let (state, effects) = run(
        state,
        vec![
            AccountEvent::Ask(code),
            AccountEvent::Answered(Ok(Reply::CodeSent {
                resend_after_secs: 60,
            })),
        ],
    );
    assert_eq!(effects.len(), 1);
    // Not without the documents.
    let (state, effects) = run(state, vec![AccountEvent::Ask(review.clone())]);
    assert!(effects.is_empty());
    // The camera runs only once 拍摄 is tapped, for that document.
    assert_eq!(viewfinder(&state), None);
    let aimed = step(state, AccountEvent::Aim(AttachmentKind::BusinessLicence)).state;
    assert_eq!(
        viewfinder(&aimed),
        Some((S, AttachmentKind::BusinessLicence))
    );
    // 拍照 for another document than the one aimed at does nothing.
    let s = step(aimed, AccountEvent::Capture(AttachmentKind::HandlerId));
    assert!(s.effects.is_empty());
    let s = step(
        s.state,
        AccountEvent::Capture(AttachmentKind::BusinessLicence),
    );
    assert_eq!(
        s.effects,
        vec![AccountEffect::Capture {
            session: S,
            kind: AttachmentKind::BusinessLicence
        }]
    );
    // While it runs the camera is off and the page stays.
    assert_eq!(viewfinder(&s.state), None);
    let state = step(s.state, AccountEvent::Show(Page::SignIn)).state;
    assert_eq!(desk(&state).page, Page::MobileReview);
    // No page found: said, and taken again.
    let state = step(
        state,
        AccountEvent::Captured(AttachmentKind::BusinessLicence, None),
    )
    .state;
    assert_eq!(
        desk(&state).review.failed,
        Some(AttachmentKind::BusinessLicence)
    );
    let (state, _) = photographed(state, AttachmentKind::BusinessLicence);
    let (state, effects) = run(state, vec![AccountEvent::Ask(review.clone())]);
    assert!(effects.is_empty(), "the ID is missing");
    // The ID, taken and shown for checking: not sent before it is accepted.
    let (state, _) = run(
        state,
        vec![
            AccountEvent::Aim(AttachmentKind::HandlerId),
            AccountEvent::Capture(AttachmentKind::HandlerId),
            AccountEvent::Captured(
                AttachmentKind::HandlerId,
                Some(ReviewCapture {
                    kind: AttachmentKind::HandlerId,
                    size: 1000,
                }),
            ),
        ],
    );
    assert_eq!(
        desk(&state).review.checking,
        Some(AttachmentKind::HandlerId)
    );
    let (state, effects) = run(state, vec![AccountEvent::Ask(review.clone())]);
    assert!(effects.is_empty(), "the ID is not checked yet");
    // 重拍 from the check: the live view again, the check gone.
    let aimed = step(state, AccountEvent::Aim(AttachmentKind::HandlerId)).state;
    assert_eq!(desk(&aimed).review.checking, None);
    assert_eq!(viewfinder(&aimed), Some((S, AttachmentKind::HandlerId)));
    let state = step(aimed, AccountEvent::AimCancelled).state;
    assert!(desk(&state).review.complete());
    let (state, effects) = run(state, vec![AccountEvent::Ask(review.clone())]);
    assert_eq!(
        effects,
        vec![AccountEffect::Ask {
            session: S,
            request: review
        }]
    );
    let (state, effects) = run(
        state,
        vec![AccountEvent::Answered(Ok(Reply::ReviewRequested))],
    );
    assert_eq!(effects, vec![AccountEffect::DiscardCaptures { session: S }]);
    assert_eq!(desk(&state).page, Page::SignIn);
    assert_eq!(desk(&state).said, Some(Said::ReviewRequested));
    assert_eq!(desk(&state).review, ReviewDocuments::default());
}

#[test]
fn a_review_the_kiosk_no_longer_holds_the_images_of_is_photographed_again() {
    let (state, _) = photographed(on_review_page(), AttachmentKind::BusinessLicence);
    let (state, _) = photographed(state, AttachmentKind::HandlerId);
    let (state, _) = run(
        state,
        vec![
            AccountEvent::Ask(Request::MobileReview {
                uscc: uscc(),
                new_mobile: mobile(),
            }),
            AccountEvent::Answered(Err(Failure::Retype)),
        ],
    );
    assert!(desk(&state).review.taken.is_empty());
    assert_eq!(desk(&state).said, Some(Said::Failed(Failure::Retype)));
    // Signed in, the page is not there; a face is no document of it.
    let state = step(signed_in(), AccountEvent::Show(Page::MobileReview)).state;
    assert_eq!(desk(&state).page, Page::Unit);
    let state = step(on_review_page(), AccountEvent::Aim(AttachmentKind::Face)).state;
    assert_eq!(viewfinder(&state), None);
}

fn any_page() -> impl Strategy<Value = Page> {
    prop_oneof![
        Just(Page::SignIn),
        Just(Page::Register),
        Just(Page::Forgot),
        Just(Page::Unit),
        Just(Page::ChangePassword),
        Just(Page::ChangeMobile),
        Just(Page::MobileReview),
    ]
}

fn any_document() -> impl Strategy<Value = AttachmentKind> {
    prop_oneof![
        Just(AttachmentKind::BusinessLicence),
        Just(AttachmentKind::HandlerId),
        Just(AttachmentKind::Face),
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
        Just(Request::SendCode {
            mobile: mobile(),
            purpose: CodePurpose::ChangeMobile,
            uscc: None,
        }),
        Just(Request::MobileReview {
            uscc: uscc(),
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
        Just(Ok(Reply::ReviewRequested)),
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
        any_document().prop_map(AccountEvent::Aim),
        Just(AccountEvent::AimCancelled),
        Just(AccountEvent::AcceptCapture),
        any_document().prop_map(AccountEvent::Capture),
        (any_document(), any::<bool>()).prop_map(|(kind, ok)| AccountEvent::Captured(
            kind,
            ok.then_some(ReviewCapture {
                kind,
                size: 300_000
            })
        )),
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
    /// at the CA unless the kiosk restarted; the camera only for a
    /// document of 变更手机号 on its page, a capture only of the document
    /// aimed at, and the review asked only with both documents.
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
                    prop_assert!(d.asking.as_ref().is_some_and(|r| r.made_on(d.page)));
                    if matches!(d.asking, Some(Request::MobileReview { .. })) {
                        prop_assert!(d.review.complete() && d.review.checking.is_none());
                    }
                }
                if let Some((session, kind)) = viewfinder(&s.state) {
                    prop_assert_eq!(session, d.session);
                    prop_assert_eq!(d.page, Page::MobileReview);
                    prop_assert!(REVIEW_DOCUMENTS.contains(&kind));
                }
                prop_assert!(d.review.taken.iter().all(|t| REVIEW_DOCUMENTS.contains(&t.kind)));
            }
            for e in &s.effects {
                if let AccountEffect::Capture { kind, .. } = e {
                    let aimed = matches!(&before, AccountState::Open(b) if b.review.aiming == Some(*kind) && b.page == Page::MobileReview);
                    prop_assert!(aimed, "a capture nobody aimed at");
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
