//! The kiosk's audit log copied to the reference CA by the production sync
//! worker over the real store and real HTTP: each entry once, in order,
//! verbatim; nothing sent when nothing is new; and the places where the
//! kiosk's log and the CA's copy part are caught and named — a log whose
//! last entries were cut off, one cut and written again to the same
//! length, and a chain broken on the kiosk (the broken entry and what
//! follows are never sent).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests: a failed unwrap is a failed test, with its location"
)]

use kiosk_domain::audit::{Actor, AuditAction, AuditEntry};
use kiosk_domain::order_number::KioskCode;
use kiosk_domain::ports::outbox::AuditTail;
use kiosk_store::Store;
use kiosk_sync_client::{AuditProblem, CaClient, Worker, WorkerConfig};
use kiosk_tests::world::ReferenceCa;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn entry(n: u32, account: &str) -> AuditEntry {
    AuditEntry {
        at: time::macros::datetime!(2026-12-05 16:30 UTC) + time::Duration::minutes(n.into()),
        actor: Actor::Technician {
            account: account.to_owned(),
        },
        action: AuditAction::QueueRetry,
        order: Some(kiosk_domain::fixtures::order_number(n)),
    }
}

struct Kiosk {
    db: PathBuf,
    key: PathBuf,
}

impl Kiosk {
    fn new(dir: &Path) -> Self {
        Self {
            db: dir.join("kiosk.db"),
            key: dir.join("store.key"),
        }
    }

    fn store(&self) -> Store {
        Store::open(&self.db, &self.key).unwrap()
    }

    fn append(&self, from: u32, to: u32, account: &str) {
        let mut store = self.store();
        for n in from..=to {
            store.append_audit(&entry(n, account)).unwrap();
        }
    }

    /// What someone with the file (not the key) would do.
    fn tamper(&self, sql: &str) {
        let conn = rusqlite::Connection::open(&self.db).unwrap();
        conn.execute_batch(&format!(
            "DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete; {sql}"
        ))
        .unwrap();
    }

    /// A worker as the kiosk starts one (a restart: it asks the CA's head).
    fn copy(&self, ca: &ReferenceCa, kiosk: KioskCode) -> (u32, Option<AuditProblem>) {
        let (worker, state) = {
            let _entered = ca.enter();
            Worker::new(self.store(), WorkerConfig::new(&ca.url)).unwrap()
        };
        let mut worker = worker.with_audit(kiosk);
        let sent = ca.block_on(worker.copy_audit()).unwrap();
        let problem = state.borrow().audit_problem;
        (sent, problem)
    }

    /// The entries' texts as kept.
    fn texts(&self) -> Vec<String> {
        match self.store().audit_tail(0, 1000).unwrap() {
            AuditTail::Entries(e) => e.into_iter().map(|e| e.entry).collect(),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn the_audit_log_reaches_the_ca_once_in_order_and_where_it_parts_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let ca = ReferenceCa::start(&tmp.path().join("ca"), None).unwrap();
    let staff = CaClient::new(&ca.staff_url, Duration::from_secs(5)).unwrap();
    let tya: KioskCode = "TYA".parse().unwrap();
    let copy_at_ca = |kiosk: &str| ca.block_on(staff.admin_audit(kiosk, 0, 500)).unwrap();
    std::fs::create_dir_all(tmp.path().join("tya")).unwrap();
    let kiosk = Kiosk::new(&tmp.path().join("tya"));

    // Three entries: sent once each, in order, verbatim.
    kiosk.append(1, 3, "tech");
    assert_eq!(kiosk.copy(&ca, tya), (3, None));
    let held = copy_at_ca("TYA");
    assert_eq!(held.head, 3);
    assert_eq!(
        held.entries
            .iter()
            .map(|e| e.entry.clone())
            .collect::<Vec<_>>(),
        kiosk.texts()
    );
    // Nothing new: nothing sent (a restart asks the head and agrees).
    assert_eq!(kiosk.copy(&ca, tya), (0, None));
    // Two more: only they go.
    kiosk.append(4, 5, "tech");
    assert_eq!(kiosk.copy(&ca, tya), (2, None));
    let held = copy_at_ca("TYA");
    assert_eq!(held.head, 5);
    assert!(held.conflicts.is_empty());
    let original = held.entries;

    // The last two cut off here: named, nothing sent, the CA's copy kept.
    kiosk.tamper("DELETE FROM audit_log WHERE seq > 3");
    assert_eq!(
        kiosk.copy(&ca, tya),
        (
            0,
            Some(AuditProblem::CutOff {
                last: 3,
                ca_head: 5
            })
        )
    );
    // Written again to the same length (by the software, with the key):
    // the kiosk's entry 5 is not the CA's.
    kiosk.append(6, 7, "intruder");
    assert_eq!(
        kiosk.copy(&ca, tya),
        (0, Some(AuditProblem::Conflict { seq: 5 }))
    );
    assert_eq!(
        copy_at_ca("TYA").entries,
        original,
        "the CA's copy is untouched"
    );

    // A chain broken on another kiosk: what comes before the break is
    // sent, the broken entry and what follows never.
    let kab: KioskCode = "KAB".parse().unwrap();
    std::fs::create_dir_all(tmp.path().join("kab")).unwrap();
    let other = Kiosk::new(&tmp.path().join("kab"));
    other.append(1, 4, "tech");
    other.tamper(
        "UPDATE audit_log SET entry = replace(entry, 'queue_retry', 'queue_retrx') WHERE seq = 3",
    );
    assert_eq!(other.copy(&ca, kab), (2, None), "what holds goes first");
    assert_eq!(
        other.copy(&ca, kab),
        (0, Some(AuditProblem::Broken { seq: 3 })),
        "then the break is named"
    );
    let held = copy_at_ca("KAB");
    assert_eq!(held.head, 2);
    assert_eq!(copy_at_ca("TYA").head, 5, "each kiosk its own copy");
}
