//! Saved flow states: sealed, versioned, wiped with their session.

use super::*;
use crate::StoreError;
use kiosk_domain::flow::SessionId;
use kiosk_domain::flow::application::{ApplicationState, Draft, Page};

const FORMAT: u32 = 1;

fn filling(session: SessionId) -> ApplicationState {
    let details = fixtures::application_details();
    ApplicationState::Filling {
        session,
        page: Page::Review,
        draft: Box::new(Draft {
            agreement_version: details.agreement_version.clone(),
            handler: Some(details.handler.clone()),
            unit: Some(details.unit.clone()),
            ..Draft::default()
        }),
    }
}

#[test]
fn a_flow_state_round_trips_and_is_not_readable_on_disk() {
    let env = Env::new();
    let mut store = env.open();
    assert_eq!(
        store
            .load_flow_state::<ApplicationState>("application", FORMAT)
            .unwrap(),
        None
    );
    let state = filling(SessionId(3));
    store
        .save_flow_state("application", FORMAT, Some(SessionId(3)), &state)
        .unwrap();
    drop(store);
    assert!(!contains(
        &raw_files(&env),
        fixtures::RESIDENT_ID.as_bytes()
    ));
    assert!(!contains(&raw_files(&env), fixtures::MOBILE.as_bytes()));

    let mut store = env.open();
    assert_eq!(
        store.load_flow_state("application", FORMAT).unwrap(),
        Some(state)
    );
    // Saving again replaces the state; other flows are separate.
    store
        .save_flow_state("application", FORMAT, None, &ApplicationState::Home)
        .unwrap();
    store
        .save_flow_state("renewal", FORMAT, None, &"home")
        .unwrap();
    assert_eq!(
        store.load_flow_state("application", FORMAT).unwrap(),
        Some(ApplicationState::Home)
    );
    assert!(store.clear_flow_state("application").unwrap());
    assert!(!store.clear_flow_state("application").unwrap());
    assert_eq!(
        store
            .load_flow_state::<ApplicationState>("application", FORMAT)
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .load_flow_state::<String>("renewal", FORMAT)
            .unwrap()
            .as_deref(),
        Some("home")
    );
}

#[test]
fn a_state_of_another_format_is_reported_not_misread() {
    let env = Env::new();
    let mut store = env.open();
    store
        .save_flow_state("application", FORMAT, None, &ApplicationState::Home)
        .unwrap();
    let err = store
        .load_flow_state::<ApplicationState>("application", FORMAT + 1)
        .unwrap_err();
    assert!(
        matches!(
            &err,
            StoreError::FlowStateFormat {
                stored: 1,
                expected: 2,
                ..
            }
        ),
        "{err}"
    );
    // Changing the clear format column does not make it readable either.
    store
        .conn
        .execute("UPDATE flow_state SET format = 2", [])
        .unwrap();
    let err = store
        .load_flow_state::<ApplicationState>("application", 2)
        .unwrap_err();
    assert!(matches!(err, StoreError::Decrypt { .. }), "{err}");
}

#[test]
fn wiping_a_session_removes_its_state_and_captures_only() {
    let env = Env::new();
    let mut store = env.open();
    let mine = SessionId(3);
    let theirs = SessionId(4);
    store
        .save_flow_state("application", FORMAT, Some(mine), &filling(mine))
        .unwrap();
    store
        .save_flow_state("renewal", FORMAT, Some(theirs), &"renewing")
        .unwrap();
    let face = jpeg(
        kiosk_domain::order::attachment::AttachmentKind::Face,
        2048,
        9,
    );
    store.put_capture(mine, &face, at(0)).unwrap();
    store.put_capture(theirs, &face, at(0)).unwrap();

    store.wipe_session(mine).unwrap();
    assert_eq!(
        store
            .load_flow_state::<ApplicationState>("application", FORMAT)
            .unwrap(),
        None
    );
    assert_eq!(store.capture(mine, face.kind()).unwrap(), None);
    assert_eq!(
        store
            .load_flow_state::<String>("renewal", FORMAT)
            .unwrap()
            .as_deref(),
        Some("renewing")
    );
    assert_eq!(store.capture(theirs, face.kind()).unwrap(), Some(face));
}

#[test]
fn moving_a_state_to_another_session_makes_it_unreadable() {
    let env = Env::new();
    let mut store = env.open();
    store
        .save_flow_state(
            "application",
            FORMAT,
            Some(SessionId(3)),
            &filling(SessionId(3)),
        )
        .unwrap();
    // Re-labelling the row so that wiping session 3 would miss it is detected.
    store
        .conn
        .execute("UPDATE flow_state SET session = '99'", [])
        .unwrap();
    let err = store
        .load_flow_state::<ApplicationState>("application", FORMAT)
        .unwrap_err();
    assert!(matches!(err, StoreError::Decrypt { .. }), "{err}");
}
