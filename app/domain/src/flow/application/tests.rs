use super::*;
use crate::fixtures;
use crate::flow::renewal::PinOutcome;
use proptest::prelude::*;

fn ctx() -> StepContext {
    fixtures::step_context()
}

const SESSION: SessionId = SessionId(1);

fn capture(kind: AttachmentKind) -> CaptureRef {
    CaptureRef {
        kind,
        media_type: MediaType::Jpeg,
        size: 1000,
        sha256_hex: format!("{kind:?}"),
    }
}

/// Everything a customer does for a complete application, with a face check.
fn full_script() -> Vec<ApplicationEvent> {
    let d = fixtures::application_details();
    vec![
        ApplicationEvent::Start {
            session: SESSION,
            agreement_version: "2026-01".to_owned(),
            account: None,
        },
        ApplicationEvent::AgreementScrolledToEnd,
        ApplicationEvent::AgreementAccepted,
        ApplicationEvent::ProjectChosen(d.project),
        ApplicationEvent::UnitEntered(d.unit),
        ApplicationEvent::HandlerEntered(d.handler),
        ApplicationEvent::SealHoldersEntered(d.seal_holders),
        ApplicationEvent::InvoiceEntered(d.invoice),
        ApplicationEvent::PickupChosen(d.pickup),
        ApplicationEvent::Captured(capture(AttachmentKind::ApplicationForm)),
        ApplicationEvent::Captured(capture(AttachmentKind::BusinessLicence)),
        ApplicationEvent::Captured(capture(AttachmentKind::HandlerId)),
        ApplicationEvent::Captured(capture(AttachmentKind::SealHolderId { holder: 0 })),
        ApplicationEvent::AttachmentsDone,
        ApplicationEvent::FaceCaptureConsent(true),
        ApplicationEvent::Captured(capture(AttachmentKind::Face)),
        ApplicationEvent::FaceUploadConsent(true),
        ApplicationEvent::IdentityDone,
        ApplicationEvent::Submit,
    ]
}

/// A member of staff as their certificate names them.
fn member(role: StaffRole) -> StaffMember {
    StaffMember {
        certificate_serial: "5A01".to_owned(),
        name: "柜员-01".to_owned(),
        roles: vec![role],
    }
}

/// Staff at the kiosk confirm the handler in person with their key.
fn staff_confirms(role: StaffRole) -> Vec<ApplicationEvent> {
    vec![
        ApplicationEvent::StaffCheckOpened,
        ApplicationEvent::StaffPinTyped,
        ApplicationEvent::StaffChecked(Ok(member(role))),
    ]
}

fn run(events: Vec<ApplicationEvent>) -> (ApplicationState, Vec<ApplicationEffect>) {
    then(ApplicationState::Home, events)
}

fn submitted_attachments(effects: &[ApplicationEffect]) -> Option<Vec<AttachmentKind>> {
    effects.iter().find_map(|e| match e {
        ApplicationEffect::SubmitOrder { attachments, .. } => {
            Some(attachments.iter().map(|c| c.kind).collect())
        }
        _ => None,
    })
}

#[test]
fn a_complete_application_is_submitted_with_its_amount_and_captures() {
    let (state, effects) = run(full_script());
    assert!(matches!(state, ApplicationState::Submitting { .. }));
    let submit = effects
        .iter()
        .find(|e| matches!(e, ApplicationEffect::SubmitOrder { .. }))
        .unwrap();
    let ApplicationEffect::SubmitOrder {
        amount, details, ..
    } = submit
    else {
        unreachable!()
    };
    assert_eq!(*amount, Fen(50_000));
    assert!(details.identity.may_upload_face());
    assert_eq!(submitted_attachments(&effects).unwrap().len(), 5);
    let number = fixtures::order_number(1);
    let next = step(state, ApplicationEvent::OrderSubmitted(number), &ctx());
    assert_eq!(
        next.effects,
        vec![ApplicationEffect::PrintReceipt { order: number }]
    );
}

#[test]
fn the_agreement_must_be_scrolled_before_it_is_accepted() {
    let (state, _) = run(vec![
        ApplicationEvent::Start {
            session: SESSION,
            agreement_version: "v".to_owned(),
            account: None,
        },
        ApplicationEvent::AgreementAccepted,
    ]);
    assert!(matches!(
        state,
        ApplicationState::Filling {
            page: Page::Agreement,
            ..
        }
    ));
}

#[test]
fn no_face_is_taken_without_consent_and_staff_can_confirm_instead() {
    let mut script = full_script();
    let consent = script
        .iter()
        .position(|e| *e == ApplicationEvent::FaceCaptureConsent(true))
        .unwrap();
    script[consent] = ApplicationEvent::FaceCaptureConsent(false);
    // Without consent the face capture is refused and no face reaches the order.
    script.insert(
        consent + 1,
        ApplicationEvent::CaptureRequested(AttachmentKind::Face),
    );
    let (state, effects) = run(script.clone());
    assert!(!effects.iter().any(|e| matches!(
        e,
        ApplicationEffect::Capture {
            kind: AttachmentKind::Face,
            ..
        }
    )));
    assert!(matches!(
        state,
        ApplicationState::Filling {
            page: Page::IdentityCheck,
            ..
        }
    ));
    // Staff confirm in person; the application goes through without a face.
    let mut with_staff = script;
    let done = with_staff
        .iter()
        .position(|e| *e == ApplicationEvent::IdentityDone)
        .unwrap();
    for (i, event) in staff_confirms(StaffRole::Staff).into_iter().enumerate() {
        with_staff.insert(done + i, event);
    }
    let (state, effects) = run(with_staff);
    let ApplicationState::Submitting { draft, .. } = &state else {
        panic!("not submitted: {state:?}");
    };
    assert!(matches!(
        &draft.identity.outcome,
        IdentityOutcome::ConfirmedInPerson { staff_id, .. } if staff_id.as_str() == "5A01"
    ));
    assert!(effects.iter().any(|e| matches!(
        e,
        ApplicationEffect::Audit { entry, .. }
            if entry.action == AuditAction::IdentityConfirmedInPerson
                && matches!(&entry.actor, Actor::Staff { certificate_serial, .. } if certificate_serial == "5A01")
    )));
    assert!(
        !submitted_attachments(&effects)
            .unwrap()
            .contains(&AttachmentKind::Face)
    );
}

#[test]
fn refusing_the_upload_discards_the_face() {
    let mut script = full_script();
    let upload = script
        .iter()
        .position(|e| *e == ApplicationEvent::FaceUploadConsent(true))
        .unwrap();
    script[upload] = ApplicationEvent::FaceUploadConsent(false);
    let (state, effects) = run(script);
    assert!(effects.contains(&ApplicationEffect::DiscardCapture {
        session: SESSION,
        kind: AttachmentKind::Face
    }));
    let ApplicationState::Filling { draft, page, .. } = state else {
        panic!("should wait on the identity page")
    };
    assert_eq!(page, Page::IdentityCheck);
    assert!(
        !draft
            .captures
            .iter()
            .any(|c| c.kind == AttachmentKind::Face)
    );
}

#[test]
fn missing_attachments_hold_the_customer_on_the_page() {
    let script: Vec<_> = full_script()
        .into_iter()
        .filter(|e| *e != ApplicationEvent::Captured(capture(AttachmentKind::BusinessLicence)))
        .collect();
    let (state, _) = run(script);
    let ApplicationState::Filling { draft, page, .. } = state else {
        panic!("should still be filling")
    };
    assert_eq!(page, Page::Attachments);
    assert_eq!(
        draft.missing_attachments(),
        vec![AttachmentKind::BusinessLicence]
    );
}

/// The event a cooperative customer would give next on this state.
fn progress(state: &ApplicationState) -> ApplicationEvent {
    let script = full_script();
    let find = |pred: &dyn Fn(&ApplicationEvent) -> bool| {
        script.iter().find(|e| pred(e)).cloned().unwrap()
    };
    match state {
        ApplicationState::Home | ApplicationState::Submitted { .. } => script[0].clone(),
        ApplicationState::Submitting { .. } => {
            ApplicationEvent::OrderSubmitted(fixtures::order_number(3))
        }
        ApplicationState::Filling { page, draft, .. } => match page {
            Page::Agreement if !draft.agreement_scrolled => {
                ApplicationEvent::AgreementScrolledToEnd
            }
            Page::Agreement => ApplicationEvent::AgreementAccepted,
            Page::Project => find(&|e| matches!(e, ApplicationEvent::ProjectChosen(_))),
            Page::Unit => find(&|e| matches!(e, ApplicationEvent::UnitEntered(_))),
            Page::Handler => find(&|e| matches!(e, ApplicationEvent::HandlerEntered(_))),
            Page::SealHolders => find(&|e| matches!(e, ApplicationEvent::SealHoldersEntered(_))),
            Page::Invoice => find(&|e| matches!(e, ApplicationEvent::InvoiceEntered(_))),
            Page::Pickup => find(&|e| matches!(e, ApplicationEvent::PickupChosen(_))),
            Page::Attachments => match draft.missing_attachments().first() {
                Some(kind) => ApplicationEvent::Captured(capture(*kind)),
                None => ApplicationEvent::AttachmentsDone,
            },
            Page::FaceConsent => ApplicationEvent::FaceCaptureConsent(true),
            Page::IdentityCheck if !draft.captures.iter().any(|c| c.kind.is_biometric()) => {
                ApplicationEvent::Captured(capture(AttachmentKind::Face))
            }
            Page::IdentityCheck if draft.identity.upload_consent.is_none() => {
                ApplicationEvent::FaceUploadConsent(true)
            }
            Page::IdentityCheck => ApplicationEvent::IdentityDone,
            Page::Review => ApplicationEvent::Submit,
        },
    }
}

/// A random step: `None` means "whatever the customer would do next".
fn any_event() -> impl Strategy<Value = Option<ApplicationEvent>> {
    let script = full_script();
    prop_oneof![
        20 => Just(None),
        4 => prop::sample::select(script).prop_map(Some),
        1 => Just(Some(ApplicationEvent::Back)),
        1 => Just(Some(ApplicationEvent::GoHome)),
        1 => Just(Some(ApplicationEvent::IdleTimeout)),
        1 => Just(Some(ApplicationEvent::FaceUploadConsent(false))),
        1 => Just(Some(ApplicationEvent::FaceCaptureConsent(false))),
        1 => Just(Some(ApplicationEvent::CaptureRequested(AttachmentKind::Face))),
        1 => Just(Some(ApplicationEvent::AimRequested(AttachmentKind::Face))),
        1 => Just(Some(ApplicationEvent::AimRequested(AttachmentKind::BusinessLicence))),
        1 => Just(Some(ApplicationEvent::AimCancelled)),
        1 => Just(Some(ApplicationEvent::Restarted)),
        1 => Just(Some(ApplicationEvent::ContinueDraft)),
        1 => Just(Some(ApplicationEvent::Edit(Page::Unit))),
        1 => Just(Some(ApplicationEvent::StaffCheckOpened)),
        1 => Just(Some(ApplicationEvent::StaffPinTyped)),
        1 => Just(Some(ApplicationEvent::StaffCheckCancelled)),
        1 => Just(Some(ApplicationEvent::StaffChecked(Ok(member(StaffRole::Staff))))),
        1 => Just(Some(ApplicationEvent::StaffChecked(Ok(member(StaffRole::Technician))))),
        1 => Just(Some(ApplicationEvent::StaffChecked(Err(SignInRefusal::BadSignature)))),
        1 => Just(Some(ApplicationEvent::OrderSubmitted(fixtures::order_number(3)))),
    ]
}

fn events() -> impl Strategy<Value = Vec<Option<ApplicationEvent>>> {
    prop::collection::vec(any_event(), 1..120)
}

fn in_person(state: &ApplicationState) -> bool {
    match state {
        ApplicationState::Filling { draft, .. } | ApplicationState::Submitting { draft, .. } => {
            matches!(
                draft.identity.outcome,
                IdentityOutcome::ConfirmedInPerson { .. }
            )
        }
        _ => false,
    }
}

/// Runs one random session, checking the invariants at every step; returns
/// whether it got as far as submitting an order.
fn check_session(events: Vec<Option<ApplicationEvent>>) -> Result<bool, TestCaseError> {
    let mut state = ApplicationState::Home;
    let mut submitted = false;
    for event in events {
        let event = event.unwrap_or_else(|| progress(&state));
        let leave = step(state.clone(), ApplicationEvent::GoHome, &ctx());
        prop_assert_eq!(&leave.state, &ApplicationState::Home);

        let idle = event == ApplicationEvent::IdleTimeout;
        let had_session = state.holds_personal_data();
        let was_confirmed = in_person(&state);
        let next = step(state, event, &ctx());
        // The camera's live view only where a capture may be taken: its
        // page, the face after its consent and before its upload, never
        // once staff confirmed in person, never while a draft is offered
        // back or a capture is being taken.
        if let Some((session, kind)) = viewfinder(&next.state) {
            let ApplicationState::Filling {
                session: s,
                page,
                draft,
            } = &next.state
            else {
                return Err(TestCaseError::fail("live view outside filling"));
            };
            prop_assert_eq!(session, *s);
            prop_assert!(!draft.interrupted && draft.capturing.is_none());
            if kind.is_biometric() {
                prop_assert_eq!(*page, Page::IdentityCheck);
                prop_assert!(draft.identity.may_capture_face());
                prop_assert!(draft.identity.upload_consent.is_none());
                prop_assert!(!in_person(&next.state));
            } else {
                prop_assert_eq!(*page, Page::Attachments);
                prop_assert!(draft.required_attachments().contains(&kind));
            }
        }
        // Confirmed in person only by a member of staff's key, and recorded.
        if in_person(&next.state) && !was_confirmed {
            let recorded = next.effects.iter().any(|e| {
                matches!(
                    e,
                    ApplicationEffect::Audit { entry, .. }
                        if entry.action == AuditAction::IdentityConfirmedInPerson
                )
            });
            prop_assert!(recorded);
        }
        // And never overturned while the draft lasts.
        if was_confirmed
            && matches!(
                next.state,
                ApplicationState::Filling { .. } | ApplicationState::Submitting { .. }
            )
        {
            prop_assert!(in_person(&next.state));
        }
        if idle {
            prop_assert_eq!(&next.state, &ApplicationState::Home);
            prop_assert!(!next.state.holds_personal_data());
            if had_session {
                let wiped = next
                    .effects
                    .iter()
                    .any(|e| matches!(e, ApplicationEffect::WipeSession { .. }));
                prop_assert!(wiped);
            }
        }
        for effect in &next.effects {
            match effect {
                // A face is captured only after its consent and sent only after both.
                ApplicationEffect::Capture {
                    kind: AttachmentKind::Face,
                    ..
                } => {
                    let ApplicationState::Filling { draft, .. } = &next.state else {
                        return Err(TestCaseError::fail("capture outside filling"));
                    };
                    prop_assert!(draft.identity.may_capture_face());
                }
                ApplicationEffect::SubmitOrder {
                    details,
                    attachments,
                    ..
                } => {
                    submitted = true;
                    if attachments.iter().any(|c| c.kind.is_biometric()) {
                        prop_assert!(details.identity.may_upload_face());
                    }
                    prop_assert!(details.identity.is_settled());
                }
                _ => {}
            }
        }
        state = next.state;
    }
    Ok(submitted)
}

proptest! {
    #[test]
    fn random_sessions_keep_every_invariant(events in events()) {
        check_session(events)?;
    }
}

/// The random sessions prove little unless many of them reach a submission.
#[test]
fn random_sessions_reach_the_submission() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let submitted = (0..300)
        .filter(|_| check_session(events().new_tree(&mut runner).unwrap().current()).unwrap())
        .count();
    assert!(submitted >= 30, "submitted in {submitted} of 300");
}

fn draft_of(state: &ApplicationState) -> &Draft {
    match state {
        ApplicationState::Filling { draft, .. } => draft,
        other => panic!("not filling: {other:?}"),
    }
}

#[test]
fn one_capture_at_a_time_a_failure_is_told_and_a_capture_is_kept_on_any_page() {
    let mut script: Vec<ApplicationEvent> = full_script().into_iter().take(9).collect();
    script.push(ApplicationEvent::CaptureRequested(
        AttachmentKind::BusinessLicence,
    ));
    let (state, effects) = run(script.clone());
    assert_eq!(
        draft_of(&state).capturing,
        Some(AttachmentKind::BusinessLicence)
    );
    assert_eq!(effects.len(), 1, "{effects:?}");
    // A second tap while the camera works asks for nothing more.
    let again = step(
        state.clone(),
        ApplicationEvent::CaptureRequested(AttachmentKind::HandlerId),
        &ctx(),
    );
    assert!(again.effects.is_empty());
    // Nothing usable: said, and the customer may try again.
    let failed = step(
        state.clone(),
        ApplicationEvent::CaptureFailed(AttachmentKind::BusinessLicence),
        &ctx(),
    );
    let draft = draft_of(&failed.state);
    assert_eq!(
        (draft.capturing, draft.capture_failed),
        (None, Some(AttachmentKind::BusinessLicence))
    );
    let retry = step(
        failed.state,
        ApplicationEvent::CaptureRequested(AttachmentKind::BusinessLicence),
        &ctx(),
    );
    assert_eq!(draft_of(&retry.state).capture_failed, None);
    assert_eq!(retry.effects.len(), 1);
    // The customer went back meanwhile: the capture is kept all the same.
    let back = step(state, ApplicationEvent::Back, &ctx());
    let kept = step(
        back.state,
        ApplicationEvent::Captured(capture(AttachmentKind::BusinessLicence)),
        &ctx(),
    );
    let draft = draft_of(&kept.state);
    assert_eq!(draft.capturing, None);
    assert!(
        draft
            .captures
            .iter()
            .any(|c| c.kind == AttachmentKind::BusinessLicence)
    );
    // A document this application does not need is never asked for.
    script.pop();
    script.push(ApplicationEvent::CaptureRequested(
        AttachmentKind::SealHolderId { holder: 5 },
    ));
    assert!(run(script).1.is_empty());
}

#[test]
fn after_a_restart_nothing_goes_on_until_the_customer_continues_the_draft() {
    let script: Vec<ApplicationEvent> = full_script().into_iter().take(6).collect();
    let (state, _) = run(script);
    let restarted = step(state, ApplicationEvent::Restarted, &ctx()).state;
    assert!(draft_of(&restarted).interrupted);
    // The next page is not taken while the draft is only offered back.
    let d = fixtures::application_details();
    let held = step(
        restarted.clone(),
        ApplicationEvent::HandlerEntered(d.handler.clone()),
        &ctx(),
    );
    assert_eq!(held.state, restarted);
    let back = step(restarted, ApplicationEvent::ContinueDraft, &ctx()).state;
    assert!(!draft_of(&back).interrupted);
    let on = step(back, ApplicationEvent::HandlerEntered(d.handler), &ctx()).state;
    assert!(matches!(
        on,
        ApplicationState::Filling {
            page: Page::SealHolders,
            ..
        }
    ));
}

#[test]
fn the_form_is_printed_with_the_pages_before_it_once_at_a_time() {
    let script: Vec<ApplicationEvent> = full_script().into_iter().take(9).collect();
    let (state, _) = run(script);
    let asked = step(state, ApplicationEvent::PrintForm, &ctx());
    let [ApplicationEffect::PrintApplicationForm { form, .. }] = asked.effects.as_slice() else {
        panic!("{:?}", asked.effects)
    };
    let d = fixtures::application_details();
    assert_eq!((&form.unit, &form.seal_holders), (&d.unit, &d.seal_holders));
    assert_eq!(draft_of(&asked.state).form_print, Some(None));
    // A second tap while it prints prints nothing more.
    let again = step(asked.state.clone(), ApplicationEvent::PrintForm, &ctx());
    assert!(again.effects.is_empty());
    let printed = step(
        asked.state,
        ApplicationEvent::FormPrinted(PrintOutcome::PaperOut),
        &ctx(),
    );
    assert_eq!(
        draft_of(&printed.state).form_print,
        Some(Some(PrintOutcome::PaperOut))
    );
    // Told, the customer may try again.
    assert_eq!(
        step(printed.state, ApplicationEvent::PrintForm, &ctx())
            .effects
            .len(),
        1
    );
}

/// On 实人认证 with no face (no consent), up to the staff key's pad.
fn at_identity_without_face() -> (ApplicationState, Vec<ApplicationEffect>) {
    let mut script = script_before(&ApplicationEvent::FaceCaptureConsent(true));
    script.push(ApplicationEvent::FaceCaptureConsent(false));
    run(script)
}

/// [`full_script`] up to (not including) `event`.
fn script_before(event: &ApplicationEvent) -> Vec<ApplicationEvent> {
    let mut script = full_script();
    let at = script.iter().position(|e| e == event).unwrap();
    script.truncate(at);
    script
}

fn then(
    state: ApplicationState,
    events: Vec<ApplicationEvent>,
) -> (ApplicationState, Vec<ApplicationEffect>) {
    let mut state = state;
    let mut effects = Vec::new();
    for event in events {
        let next = step(state, event, &ctx());
        effects.extend(next.effects);
        state = next.state;
    }
    (state, effects)
}

#[test]
fn staff_confirm_in_person_only_with_their_key_checked_and_a_staff_role() {
    let (at_identity, _) = at_identity_without_face();
    assert!(!draft_of(&at_identity).identity_ready());
    // The pad, then the key's answer: refused, asked again with why.
    let (state, effects) = then(
        at_identity.clone(),
        vec![
            ApplicationEvent::StaffCheckOpened,
            ApplicationEvent::StaffPinTyped,
        ],
    );
    assert_eq!(
        effects,
        vec![ApplicationEffect::CheckStaffKey { session: SESSION }]
    );
    assert_eq!(draft_of(&state).staff_check, Some(StaffCheck::Checking));
    let wrong = SignInRefusal::Pin(PinOutcome::Wrong {
        tries_left: Some(4),
        final_try: false,
    });
    let (state, effects) = then(state, vec![ApplicationEvent::StaffChecked(Err(wrong))]);
    assert!(effects.is_empty());
    assert_eq!(
        draft_of(&state).staff_check,
        Some(StaffCheck::Asking { last: Some(wrong) })
    );
    assert!(!draft_of(&state).identity_ready());
    // A technician's certificate is not a counter clerk's.
    let (state, effects) = then(
        state,
        vec![
            ApplicationEvent::StaffPinTyped,
            ApplicationEvent::StaffChecked(Ok(member(StaffRole::Technician))),
        ],
    );
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, ApplicationEffect::Audit { .. }))
    );
    assert!(!draft_of(&state).identity_ready());
    // Cancelled: the page again, nothing confirmed; a late answer is ignored.
    let (state, _) = then(state, vec![ApplicationEvent::StaffCheckCancelled]);
    assert_eq!(draft_of(&state).staff_check, None);
    let (state, effects) = then(
        state,
        vec![ApplicationEvent::StaffChecked(Ok(member(StaffRole::Staff)))],
    );
    assert!(effects.is_empty());
    assert!(!draft_of(&state).identity_ready());
    // An answer nobody asked for (a screen cannot send it either) does nothing.
    let (state, _) = then(
        at_identity,
        vec![ApplicationEvent::StaffChecked(Ok(member(StaffRole::Staff)))],
    );
    assert!(!draft_of(&state).identity_ready());
    // A member of staff: confirmed, recorded once in the audit log.
    let (state, effects) = then(state, staff_confirms(StaffRole::Staff));
    assert!(draft_of(&state).identity_ready());
    assert_eq!(draft_of(&state).staff_check, None);
    let audits = effects
        .iter()
        .filter(|e| matches!(e, ApplicationEffect::Audit { .. }))
        .count();
    assert_eq!(audits, 1);
    // Confirmed: the pad is not offered again.
    let (state, _) = then(state, vec![ApplicationEvent::StaffCheckOpened]);
    assert_eq!(draft_of(&state).staff_check, None);
}

#[test]
fn a_face_answer_after_staff_confirmed_in_person_changes_nothing() {
    let (state, _) = run(script_before(&ApplicationEvent::IdentityDone));
    let (state, _) = then(
        state,
        [
            staff_confirms(StaffRole::Staff),
            vec![ApplicationEvent::FaceChecked { matched: false }],
        ]
        .concat(),
    );
    assert!(matches!(
        draft_of(&state).identity.outcome,
        IdentityOutcome::ConfirmedInPerson { .. }
    ));
    // Nor does a face sent afterwards: none is needed any more.
    let (state, _) = run(script_before(&ApplicationEvent::FaceUploadConsent(true)));
    let (state, effects) = then(
        state,
        [
            staff_confirms(StaffRole::Staff),
            vec![ApplicationEvent::FaceUploadConsent(true)],
        ]
        .concat(),
    );
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, ApplicationEffect::VerifyFace { .. }))
    );
    assert!(matches!(
        draft_of(&state).identity.outcome,
        IdentityOutcome::ConfirmedInPerson { .. }
    ));
}

#[test]
fn a_restart_while_the_staff_key_checks_closes_the_pad() {
    let (state, _) = at_identity_without_face();
    let (state, _) = then(
        state,
        vec![
            ApplicationEvent::StaffCheckOpened,
            ApplicationEvent::StaffPinTyped,
            ApplicationEvent::Restarted,
        ],
    );
    assert_eq!(draft_of(&state).staff_check, None);
    // 上一步 on the pad closes it, not the page.
    let (state, _) = then(
        state,
        vec![
            ApplicationEvent::ContinueDraft,
            ApplicationEvent::StaffCheckOpened,
            ApplicationEvent::Back,
        ],
    );
    assert!(matches!(
        state,
        ApplicationState::Filling {
            page: Page::IdentityCheck,
            ..
        }
    ));
    assert_eq!(draft_of(&state).staff_check, None);
}

#[test]
fn the_live_view_opens_on_request_and_closes_for_the_capture_or_elsewhere() {
    let script: Vec<ApplicationEvent> = full_script().into_iter().take(9).collect();
    let (state, _) = run(script);
    assert_eq!(viewfinder(&state), None, "not before 拍摄");
    let licence = AttachmentKind::BusinessLicence;
    let aiming = step(state, ApplicationEvent::AimRequested(licence), &ctx());
    assert!(aiming.effects.is_empty(), "the live view takes nothing");
    assert_eq!(viewfinder(&aiming.state), Some((SESSION, licence)));
    // 拍照: the capture is asked for and the view closes while it is taken.
    let taking = step(
        aiming.state.clone(),
        ApplicationEvent::CaptureRequested(licence),
        &ctx(),
    );
    assert_eq!(taking.effects.len(), 1);
    assert_eq!(viewfinder(&taking.state), None);
    // 取消, 上一步 and a restart close it too; after the restart it stays
    // closed once the customer goes on with the draft.
    for leave in [
        vec![ApplicationEvent::AimCancelled],
        vec![ApplicationEvent::Back],
        vec![ApplicationEvent::Restarted, ApplicationEvent::ContinueDraft],
    ] {
        let mut state = aiming.state.clone();
        for event in leave {
            state = step(state, event, &ctx()).state;
        }
        assert_eq!(viewfinder(&state), None);
        assert_eq!(draft_of(&state).aiming, None);
    }
    // A document this application does not need, or the face on this
    // page, opens nothing.
    for kind in [
        AttachmentKind::SealHolderId { holder: 5 },
        AttachmentKind::Face,
    ] {
        let other = step(aiming.state.clone(), ApplicationEvent::AimCancelled, &ctx());
        let asked = step(other.state, ApplicationEvent::AimRequested(kind), &ctx());
        assert_eq!(viewfinder(&asked.state), None, "{kind:?}");
    }
}

#[test]
fn the_face_is_aimed_at_only_after_its_consent_and_never_once_staff_confirmed() {
    let face = AttachmentKind::Face;
    let mut script: Vec<ApplicationEvent> = full_script().into_iter().take(14).collect();
    script.push(ApplicationEvent::FaceCaptureConsent(false));
    let (refused, _) = run(script.clone());
    let asked = step(refused, ApplicationEvent::AimRequested(face), &ctx());
    assert_eq!(viewfinder(&asked.state), None, "no consent, no camera");
    script.pop();
    script.push(ApplicationEvent::FaceCaptureConsent(true));
    let (consented, _) = run(script.clone());
    let aiming = step(consented, ApplicationEvent::AimRequested(face), &ctx());
    assert_eq!(viewfinder(&aiming.state), Some((SESSION, face)));
    // Staff's pad takes the screen: the camera stops; confirmed in person,
    // it is never asked for again.
    let pad = step(aiming.state, ApplicationEvent::StaffCheckOpened, &ctx());
    assert_eq!(viewfinder(&pad.state), None);
    script.extend(staff_confirms(StaffRole::Staff));
    let (confirmed, _) = run(script);
    assert!(in_person(&confirmed));
    let again = step(confirmed, ApplicationEvent::AimRequested(face), &ctx());
    assert_eq!(viewfinder(&again.state), None);
}
