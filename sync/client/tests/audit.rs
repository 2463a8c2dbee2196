//! The kiosk's audit log copied to the CA service, over real mutual TLS on
//! 127.0.0.1 through the client's calls (`audit_head`, `put_audit`,
//! `admin_audit`): a kiosk sends its entries in order, the same entry
//! again is answered as before, a changed one, a `prev` that does not
//! follow or a gap is 409 `audit_conflict` and recorded for staff while
//! the CA's copy stays as it was; no other kiosk reads or writes it; staff
//! read it through the API and the back office (the section 终端操作记录
//! and a kiosk's page).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test, with its location"
)]

mod common;

use common::pki::Pki;
use common::{ServedTls as Served, https, tls_client as client};
use kiosk_domain::audit::{Actor, AuditAction, AuditEntry};
use kiosk_domain::fixtures;
use kiosk_sync_client::CallError;
use kiosk_sync_wire::audit::{AuditEntryV1, AuditHeadV1};
use kiosk_sync_wire::problem::ProblemCode;
use serde_json::Value;

/// Entry `seq`'s text as the kiosk's store keeps it (the domain's type,
/// serialized): a technician's retry, a minute after the one before.
fn text(seq: u64, actor: Actor) -> String {
    serde_json::to_string(&AuditEntry {
        at: time::macros::datetime!(2026-12-05 16:30 UTC)
            + time::Duration::minutes(i64::try_from(seq).unwrap()),
        actor,
        action: AuditAction::QueueRetry,
        order: Some(fixtures::order_number(u32::try_from(seq).unwrap())),
    })
    .unwrap()
}

fn technician(seq: u64) -> String {
    text(
        seq,
        Actor::Technician {
            account: "tech".to_owned(),
        },
    )
}

/// Link `seq` of the test's chain (any 32 bytes do: the CA checks that
/// they follow one another, not how the kiosk made them).
fn link(seq: u64) -> [u8; 32] {
    [u8::try_from(seq).unwrap(); 32]
}

/// Entry `seq` with its links: `prev` is link `seq - 1` (zeros first).
fn entry(seq: u64, text: &str) -> AuditEntryV1 {
    AuditEntryV1::new(text, &link(seq - 1), &link(seq))
}

fn head(seq: u64) -> AuditHeadV1 {
    AuditHeadV1 {
        head: seq,
        link_hex: Some(kiosk_sync_wire::hex::encode(&link(seq))),
    }
}

/// The status and problem code of a refused call.
fn refused(e: &CallError) -> (u16, Option<ProblemCode>) {
    match e {
        CallError::Status { status, .. } => (*status, e.code()),
        other => panic!("not a refusal: {other:?}"),
    }
}

/// The status and the body as JSON.
async fn answer(r: reqwest::RequestBuilder) -> (u16, Value) {
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    let body = r.json().await.unwrap_or_default();
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kiosks_copy_only_grows_and_only_that_kiosk_writes_it() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new();
    let served = Served::start(dir.path(), &pki).await;
    let tya = pki.device_ca.device("TYA");
    let kab = pki.device_ca.device("KAB");
    let a = client(&pki, &served.kiosk_url(""), &tya);
    let b = client(&pki, &served.kiosk_url(""), &kab);
    let clerk = client(&pki, &served.staff_url(""), &pki.staff_ca.device("王芳"));
    let a_http = https(&pki, Some(&tya));

    // Nothing yet: head 0, no link.
    let empty = a.audit_head("TYA").await.unwrap();
    assert_eq!(
        empty,
        AuditHeadV1 {
            head: 0,
            link_hex: None
        }
    );
    let (status, body) = answer(a_http.get(served.kiosk_url("/v1/kiosks/TYA/audit"))).await;
    assert_eq!((status, body), (200, serde_json::json!({"head": 0})));

    // Entries 1 to 3, in order: each kept, 201 with the new head.
    let texts: Vec<String> = (1..=3).map(technician).collect();
    let (status, body) = answer(
        a_http
            .put(served.kiosk_url("/v1/kiosks/TYA/audit/1"))
            .json(&entry(1, &texts[0])),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        serde_json::from_value::<AuditHeadV1>(body).unwrap(),
        head(1)
    );
    for seq in 2..=3 {
        let text = &texts[usize::try_from(seq - 1).unwrap()];
        assert_eq!(
            a.put_audit("TYA", seq, &entry(seq, text)).await.unwrap(),
            head(seq)
        );
    }
    assert_eq!(a.audit_head("TYA").await.unwrap(), head(3));

    // Entry 2 again (the answer was lost): 200, the head as it is.
    let (status, body) = answer(
        a_http
            .put(served.kiosk_url("/v1/kiosks/TYA/audit/2"))
            .json(&entry(2, &texts[1])),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        serde_json::from_value::<AuditHeadV1>(body).unwrap(),
        head(3)
    );
    assert_eq!(
        a.put_audit("TYA", 2, &entry(2, &texts[1])).await.unwrap(),
        head(3)
    );

    // A changed entry 2 (another account; the same text with another
    // link): 409 audit_conflict, recorded once at 2, the copy unchanged.
    let changed = text(
        2,
        Actor::Technician {
            account: "intruder".to_owned(),
        },
    );
    let e = a
        .put_audit("TYA", 2, &entry(2, &changed))
        .await
        .unwrap_err();
    assert_eq!(refused(&e), (409, Some(ProblemCode::AuditConflict)));
    let relinked = AuditEntryV1::new(&texts[1], &link(1), &[0xee; 32]);
    let e = a.put_audit("TYA", 2, &relinked).await.unwrap_err();
    assert_eq!(refused(&e), (409, Some(ProblemCode::AuditConflict)));
    let page = clerk.admin_audit("TYA", 0, 100).await.unwrap();
    assert_eq!((page.kiosk.as_str(), page.head), ("TYA", 3));
    let held: Vec<(u64, &str)> = page
        .entries
        .iter()
        .map(|r| (r.seq, r.entry.as_str()))
        .collect();
    assert_eq!(
        held,
        [(1, texts[0].as_str()), (2, &texts[1]), (3, &texts[2])]
    );
    let conflicts: Vec<u64> = page.conflicts.iter().map(|c| c.seq).collect();
    assert_eq!(conflicts, [2]);
    time::OffsetDateTime::parse(
        &page.conflicts[0].received_at,
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();

    // A gap (entry 4 never sent): 409. Entry 4 whose prev is not link 3:
    // 409. Both recorded; then entry 4 as it should be is kept.
    let e = a
        .put_audit("TYA", 5, &entry(5, &technician(5)))
        .await
        .unwrap_err();
    assert_eq!(refused(&e), (409, Some(ProblemCode::AuditConflict)));
    let unlinked = AuditEntryV1::new(&technician(4), &link(2), &link(4));
    let e = a.put_audit("TYA", 4, &unlinked).await.unwrap_err();
    assert_eq!(refused(&e), (409, Some(ProblemCode::AuditConflict)));
    assert_eq!(a.audit_head("TYA").await.unwrap(), head(3));
    assert_eq!(
        a.put_audit("TYA", 4, &entry(4, &technician(4)))
            .await
            .unwrap(),
        head(4)
    );
    let page = clerk.admin_audit("TYA", 0, 100).await.unwrap();
    assert_eq!(page.head, 4);
    let conflicts: Vec<u64> = page.conflicts.iter().map(|c| c.seq).collect();
    assert_eq!(conflicts, [2, 5, 4], "oldest first");

    // Kiosk B can neither read nor write A's copy, under any spelling of
    // A's code; nobody without a certificate can either. B's own copy is
    // its own.
    let e = b.audit_head("TYA").await.unwrap_err();
    assert_eq!(refused(&e), (403, Some(ProblemCode::Forbidden)));
    let e = b
        .put_audit("TYA", 5, &entry(5, &technician(5)))
        .await
        .unwrap_err();
    assert_eq!(refused(&e), (403, Some(ProblemCode::Forbidden)));
    let b_http = https(&pki, Some(&kab));
    for (what, request) in [
        (
            "read",
            b_http.get(served.kiosk_url("/v1/kiosks/%54YA/audit")),
        ),
        (
            "write",
            b_http
                .put(served.kiosk_url("/v1/kiosks/%54YA/audit/5"))
                .json(&entry(5, &technician(5))),
        ),
    ] {
        let (status, body) = answer(request).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (403, Some("forbidden")),
            "{what}"
        );
    }
    let nobody = https(&pki, None);
    for request in [
        nobody.get(served.kiosk_url("/v1/kiosks/TYA/audit")),
        nobody
            .put(served.kiosk_url("/v1/kiosks/TYA/audit/5"))
            .json(&entry(5, &technician(5))),
    ] {
        let (status, body) = answer(request).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (401, Some("unauthenticated"))
        );
    }
    // A's own code in another spelling is none of A's.
    let (status, _) = answer(a_http.get(served.kiosk_url("/v1/kiosks/tya/audit"))).await;
    assert_eq!(status, 403);
    assert_eq!(
        b.audit_head("KAB").await.unwrap(),
        AuditHeadV1 {
            head: 0,
            link_hex: None
        }
    );
    assert_eq!(
        b.put_audit("KAB", 1, &entry(1, &technician(1)))
            .await
            .unwrap(),
        head(1)
    );
    assert_eq!(clerk.admin_audit("TYA", 0, 100).await.unwrap().head, 4);
    // Kiosks have no handshake on the staff listener.
    let e = client(&pki, &served.staff_url(""), &tya)
        .admin_audit("TYA", 0, 100)
        .await
        .unwrap_err();
    assert!(!e.reached_ca() || refused(&e).0 == 404, "{e:?}");

    // A place in another spelling names none: 404, nothing recorded.
    for other in ["0", "01", "+5", "-1", "5.0", "1e1", "10000000000000000000"] {
        let (status, body) = answer(
            a_http
                .put(served.kiosk_url(&format!("/v1/kiosks/TYA/audit/{other}")))
                .json(&entry(5, &technician(5))),
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (404, Some("not_found")),
            "{other}"
        );
    }
    // What is not an entry with its links: 422 invalid_field, by field.
    for (field, sent) in [
        ("entry", AuditEntryV1::new("{}", &link(4), &link(5))),
        (
            "prev_hex",
            AuditEntryV1 {
                prev_hex: "AB".repeat(32),
                ..entry(5, &technician(5))
            },
        ),
        (
            "link_hex",
            AuditEntryV1 {
                link_hex: "ab".repeat(31),
                ..entry(5, &technician(5))
            },
        ),
    ] {
        let (status, body) = answer(
            a_http
                .put(served.kiosk_url("/v1/kiosks/TYA/audit/5"))
                .json(&sent),
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str(), body["field"].as_str()),
            (422, Some("invalid_field"), Some(field))
        );
    }
    let page = clerk.admin_audit("TYA", 0, 100).await.unwrap();
    assert_eq!(page.head, 4);
    assert_eq!(page.conflicts.len(), 3, "none recorded for a refusal");

    // Staff page through the copy; a limit out of range is 422, a kiosk
    // code in another spelling names none.
    let after: Vec<u64> = clerk
        .admin_audit("TYA", 1, 2)
        .await
        .unwrap()
        .entries
        .iter()
        .map(|r| r.seq)
        .collect();
    assert_eq!(after, [2, 3]);
    assert!(
        clerk
            .admin_audit("TYA", 4, 500)
            .await
            .unwrap()
            .entries
            .is_empty()
    );
    assert!(
        clerk
            .admin_audit("TYA", u64::MAX, 1)
            .await
            .unwrap()
            .entries
            .is_empty()
    );
    for limit in [0, 501] {
        let e = clerk.admin_audit("TYA", 0, limit).await.unwrap_err();
        assert_eq!(
            refused(&e),
            (422, Some(ProblemCode::InvalidField)),
            "{limit}"
        );
    }
    let e = clerk.admin_audit("tya", 0, 100).await.unwrap_err();
    assert_eq!(refused(&e), (404, Some(ProblemCode::NotFound)));
    // A kiosk that sent nothing: an empty copy.
    let none = clerk.admin_audit("WXY", 0, 100).await.unwrap();
    assert_eq!(
        (none.head, none.entries.len(), none.conflicts.len()),
        (0, 0, 0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_back_office_lists_each_kiosks_copy_and_its_page() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new();
    let served = Served::start(dir.path(), &pki).await;
    let a = client(&pki, &served.kiosk_url(""), &pki.device_ca.device("TYA"));
    let b = client(&pki, &served.kiosk_url(""), &pki.device_ca.device("KAB"));
    let staff = https(&pki, Some(&pki.staff_ca.device("王芳")));
    let get = |path: &str| {
        let request = staff.get(served.staff_url(path));
        async move {
            let r = request.send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };

    let (status, page) = get("/admin").await;
    assert_eq!(status, 200);
    assert!(page.contains("<h2>终端操作记录</h2>"), "{page}");
    assert!(page.contains("暂无终端上传操作记录"), "{page}");

    // Kiosk A: a technician's retry (an account that is markup), then a
    // member of staff's.
    let first = text(
        1,
        Actor::Technician {
            account: "<b>tech</b>".to_owned(),
        },
    );
    let second = text(
        2,
        Actor::Staff {
            certificate_serial: "1a2b".to_owned(),
            name: "李四".to_owned(),
        },
    );
    a.put_audit("TYA", 1, &entry(1, &first)).await.unwrap();
    a.put_audit("TYA", 2, &entry(2, &second)).await.unwrap();
    // Kiosk B: its entry 1, then another entry 1 (its log was changed).
    b.put_audit("KAB", 1, &entry(1, &technician(1)))
        .await
        .unwrap();
    let e = b
        .put_audit("KAB", 1, &entry(1, &technician(9)))
        .await
        .unwrap_err();
    assert_eq!(refused(&e), (409, Some(ProblemCode::AuditConflict)));

    let (_, page) = get("/admin").await;
    // Entry 2's own time, 16:32 UTC: 00:32 the next day in Beijing.
    assert!(
        page.contains(
            "<tr id=\"audit-TYA\"><td><a href=\"/admin/kiosks/TYA/audit\">TYA</a></td>\
             <td>2</td><td>2026-12-06 00:32</td><td class=\"status\">一致</td></tr>"
        ),
        "{page}"
    );
    assert!(
        page.contains(
            "<tr id=\"audit-KAB\"><td><a href=\"/admin/kiosks/KAB/audit\">KAB</a></td>\
             <td>1</td><td>2026-12-06 00:31</td><td class=\"status\">\
             <span class=\"alert\">第 1 条与中心副本不一致</span></td></tr>"
        ),
        "{page}"
    );
    assert!(page.find("id=\"audit-KAB\"").unwrap() < page.find("id=\"audit-TYA\"").unwrap());
    assert!(!page.contains("暂无终端上传操作记录"));

    // A's page: newest first, who and what in the back office's words,
    // everything escaped.
    let (status, page) = get("/admin/kiosks/TYA/audit").await;
    assert_eq!(status, 200);
    assert!(page.contains("<h1>终端 TYA 操作记录</h1>"), "{page}");
    assert!(page.contains("<span id=\"audit-head\">2</span>"), "{page}");
    assert!(
        page.contains("<span id=\"audit-state\">一致</span>"),
        "{page}"
    );
    let n1 = fixtures::order_number(1).to_string();
    let n2 = fixtures::order_number(2).to_string();
    assert!(
        page.contains(&format!(
            "<tr id=\"audit-entry-2\"><td>2</td><td>2026-12-06 00:32</td>\
             <td>工作人员 李四</td><td>重新上传订单</td><td>{n2}</td></tr>"
        )),
        "{page}"
    );
    assert!(
        page.contains(&format!(
            "<tr id=\"audit-entry-1\"><td>1</td><td>2026-12-06 00:31</td>\
             <td>技术人员 &lt;b&gt;tech&lt;/b&gt;</td><td>重新上传订单</td><td>{n1}</td></tr>"
        )),
        "{page}"
    );
    assert!(page.find("audit-entry-2").unwrap() < page.find("audit-entry-1").unwrap());
    assert!(!page.contains("<b>tech"), "{page}");
    assert!(!page.contains("audit-conflicts"), "{page}");

    // B's page: the conflict at 1, in red; its entry as first sent.
    let (status, page) = get("/admin/kiosks/KAB/audit").await;
    assert_eq!(status, 200);
    assert!(
        page.contains(
            "<span id=\"audit-state\"><span class=\"alert\">第 1 条与中心副本不一致</span></span>"
        ),
        "{page}"
    );
    assert!(page.contains("<table id=\"audit-conflicts\">"), "{page}");
    assert!(
        page.contains("<tr id=\"audit-conflict-1\"><td>1</td>"),
        "{page}"
    );
    assert!(page.contains("<td>技术人员 tech</td>"), "{page}");
    assert!(page.contains("2026-12-06 00:31"), "{page}");
    assert!(
        !page.contains("2026-12-06 00:39"),
        "the changed entry is not kept"
    );

    // A kiosk that sent nothing: an empty page; a code in another
    // spelling names none.
    let (status, page) = get("/admin/kiosks/WXY/audit").await;
    assert_eq!(status, 200);
    assert!(page.contains("暂无记录"), "{page}");
    for other in ["tya", "TY", "TYO", "%20TYA"] {
        let (status, _) = get(&format!("/admin/kiosks/{other}/audit")).await;
        assert_eq!(status, 404, "{other}");
    }
    // Not on the kiosk listener, nor for a kiosk.
    let kiosk = https(&pki, Some(&pki.device_ca.device("TYA")));
    let (status, body) = answer(kiosk.get(served.kiosk_url("/admin/kiosks/TYA/audit"))).await;
    assert_eq!(
        (status, body["detail"].as_str()),
        (404, Some(ca_service::NO_SUCH_ROUTE))
    );
}
