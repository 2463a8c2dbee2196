//! A wrong, short or missing key file is an error that destroys nothing.

use super::*;
use crate::StoreError;

/// A store with one order; returns the order number and the key bytes.
fn store_with_an_order(env: &Env) -> (kiosk_domain::order_number::OrderNumber, Vec<u8>) {
    let mut store = env.open();
    let order = create_application(&mut store, "session-1", at(0));
    drop(store);
    (order.number, std::fs::read(&env.key).unwrap())
}

fn assert_still_readable(env: &Env, number: &kiosk_domain::order_number::OrderNumber) {
    let store = env.open();
    assert!(store.load_order(number).unwrap().is_some());
    assert_eq!(store.attachments(number).unwrap().len(), 2);
}

#[test]
fn a_key_file_of_the_wrong_size_is_an_error_and_is_left_alone() {
    let env = Env::new();
    let (number, key) = store_with_an_order(&env);
    std::fs::write(&env.key, &key[..31]).unwrap();
    let err = Store::open(&env.db, &env.key).unwrap_err();
    assert!(
        matches!(err, StoreError::KeyFileSize { found: 31, .. }),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&env.key).unwrap(),
        &key[..31],
        "key file must not be replaced"
    );
    std::fs::write(&env.key, [key.as_slice(), b"\n"].concat()).unwrap();
    assert!(matches!(
        Store::open(&env.db, &env.key).unwrap_err(),
        StoreError::KeyFileSize { found: 33, .. }
    ));
    std::fs::write(&env.key, &key).unwrap();
    assert_still_readable(&env, &number);
}

#[test]
fn a_missing_key_file_is_an_error_and_no_new_key_is_made() {
    let env = Env::new();
    let (number, key) = store_with_an_order(&env);
    std::fs::remove_file(&env.key).unwrap();
    let err = Store::open(&env.db, &env.key).unwrap_err();
    assert!(matches!(err, StoreError::KeyMissing { .. }), "{err}");
    assert!(err.to_string().contains("missing"), "{err}");
    assert!(
        !env.key.exists(),
        "a new key would make the data unreadable"
    );
    std::fs::write(&env.key, &key).unwrap();
    assert_still_readable(&env, &number);
}

#[test]
fn another_key_is_an_error_and_changes_nothing() {
    let env = Env::new();
    let (number, key) = store_with_an_order(&env);
    let other: Vec<u8> = key.iter().map(|b| b ^ 0x5A).collect();
    std::fs::write(&env.key, &other).unwrap();
    let err = Store::open(&env.db, &env.key).unwrap_err();
    assert!(matches!(err, StoreError::WrongKey { .. }), "{err}");
    assert_eq!(std::fs::read(&env.key).unwrap(), other);
    std::fs::write(&env.key, &key).unwrap();
    assert_still_readable(&env, &number);
}

#[test]
fn an_existing_key_is_used_for_a_new_database() {
    let env = Env::new();
    std::fs::create_dir_all(env.key.parent().unwrap()).unwrap();
    std::fs::write(&env.key, [7u8; 32]).unwrap();
    let mut store = env.open();
    let order = create_application(&mut store, "s", at(0));
    drop(store);
    assert_eq!(std::fs::read(&env.key).unwrap(), [7u8; 32]);
    assert_still_readable(&env, &order.number);
}

#[test]
fn the_key_is_not_in_the_database_files() {
    let env = Env::new();
    let _ = store_with_an_order(&env);
    let key = std::fs::read(&env.key).unwrap();
    assert!(!contains(&raw_files(&env), &key));
}
