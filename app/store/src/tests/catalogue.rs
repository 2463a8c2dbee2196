//! The CA's catalogue as last fetched: kept across restarts, replaced whole.

use super::*;
use kiosk_domain::order::application::{Agreement, Catalogue};

fn catalogue(version: &str) -> Catalogue {
    Catalogue {
        agreement: Agreement {
            version: version.to_owned(),
            text: "协议".to_owned(),
        },
        projects: vec![fixtures::application_details().project],
        fetched: Some(datetime!(2026-12-05 09:00 UTC)),
        renewal: None,
    }
}

#[test]
fn the_last_catalogue_is_kept_across_a_restart_and_replaced_whole() {
    let env = Env::new();
    let mut store = env.open();
    assert_eq!(store.load_catalogue().unwrap(), None, "never fetched");
    store.save_catalogue(&catalogue("2026-01")).unwrap();
    store.save_catalogue(&catalogue("2026-02")).unwrap();
    drop(store);
    let store = env.open();
    assert_eq!(store.load_catalogue().unwrap(), Some(catalogue("2026-02")));
}
