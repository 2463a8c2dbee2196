//! Opening, pragmas and migrations.

use super::*;
use crate::{SCHEMA_VERSION, StoreError};
use std::os::unix::fs::PermissionsExt;

#[test]
fn a_new_database_is_migrated_and_reopens_at_the_same_version() {
    let env = Env::new();
    let store = env.open();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(store.path(), env.db.as_path());
    drop(store);
    let store = env.open();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
}

#[test]
fn pragmas_are_set_for_durability_and_deletion() {
    let env = Env::new();
    let store = env.open();
    let pragma = |name: &str| -> String {
        store
            .conn
            .query_row(&format!("PRAGMA {name}"), [], |row| {
                row.get::<_, rusqlite::types::Value>(0)
            })
            .map(|v| match v {
                rusqlite::types::Value::Integer(i) => i.to_string(),
                rusqlite::types::Value::Text(t) => t,
                other => format!("{other:?}"),
            })
            .unwrap()
    };
    assert_eq!(pragma("journal_mode"), "wal");
    assert_eq!(pragma("synchronous"), "2"); // FULL
    assert_eq!(pragma("foreign_keys"), "1");
    assert_eq!(pragma("secure_delete"), "1");
    assert_eq!(pragma("integrity_check"), "ok");
}

#[test]
fn the_key_file_is_created_private_and_32_bytes_long() {
    let env = Env::new();
    drop(env.open());
    let meta = std::fs::metadata(&env.key).unwrap();
    assert_eq!(meta.len(), 32);
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
}

#[test]
fn a_database_from_newer_software_is_refused() {
    let env = Env::new();
    drop(env.open());
    {
        let conn = rusqlite::Connection::open(&env.db).unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
    }
    let err = Store::open(&env.db, &env.key).unwrap_err();
    assert!(
        matches!(err, StoreError::SchemaTooNew { found, supported } if found == SCHEMA_VERSION + 1 && supported == SCHEMA_VERSION),
        "{err}"
    );
    assert!(err.to_string().contains("newer"), "{err}");
    // Nothing was changed: the version is still the newer one.
    let conn = rusqlite::Connection::open(&env.db).unwrap();
    let v: u32 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(v, SCHEMA_VERSION + 1);
}

#[test]
fn the_key_may_not_be_one_of_the_database_files() {
    let env = Env::new();
    let err = Store::open(&env.db, &env.db).unwrap_err();
    assert!(matches!(err, StoreError::KeyInsideDatabase { .. }), "{err}");
    let mut wal = env.db.clone().into_os_string();
    wal.push("-wal");
    let err = Store::open(&env.db, std::path::Path::new(&wal)).unwrap_err();
    assert!(matches!(err, StoreError::KeyInsideDatabase { .. }), "{err}");
}
