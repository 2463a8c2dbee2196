//! 呼叫工作人员 between a kiosk, the CA service and its staff, over real
//! mutual TLS on 127.0.0.1: a kiosk makes its call (once, however often
//! it sends it), no other kiosk can see or withdraw it, staff list and
//! acknowledge it, the kiosk learns that someone is coming but never who,
//! and withdraws it; the CA's refusals (another screen for the same id,
//! too many open calls, an id in another spelling); and the kiosk's
//! `StaffCallPort` over `CaClient`, down to a CA that is gone.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test, with its location"
)]

mod common;

use common::pki::Pki;
use common::{ServedTls as Served, https, tls_client as client};
use kiosk_domain::flow::staff_call::{CallFailure, CallId, CallScreen, CallStatus, StaffCall};
use kiosk_domain::ports::staff_call::StaffCallPort;
use kiosk_sync_wire::staff_call::StaffCallStateV1;
use serde_json::{Value, json};
use std::time::Duration;

fn call_path(kiosk: &str, call: &str) -> String {
    format!("/v1/kiosks/{kiosk}/staff-calls/{call}")
}

/// The status, the body's text and the body as JSON.
async fn answer(r: reqwest::RequestBuilder) -> (u16, String, Value) {
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    let json = serde_json::from_str(&text).unwrap_or_default();
    (status, text, json)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_reaches_staff_and_only_its_kiosk_sees_it() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new();
    let served = Served::start(dir.path(), &pki).await;
    let a = https(&pki, Some(&pki.device_ca.device("TYA")));
    let b = https(&pki, Some(&pki.device_ca.device("KAB")));
    let nobody = https(&pki, None);
    let staff = https(&pki, Some(&pki.staff_ca.device("王芳")));
    let id = "00000000000000a1";
    let url = served.kiosk_url(&call_path("TYA", id));

    // Kiosk A calls from the PIN pad: made, open, stamped by the CA.
    let (status, _, made) = answer(a.put(&url).json(&json!({"screen": "pin"}))).await;
    assert_eq!(status, 201, "{made}");
    let made: StaffCallStateV1 = serde_json::from_value(made).unwrap();
    assert_eq!(
        (
            made.kiosk.as_str(),
            made.call.as_str(),
            made.screen.as_str()
        ),
        ("TYA", id, "pin")
    );
    assert_eq!(made.status(), Some(CallStatus::Open));
    assert_eq!(made.acknowledged_at, None);
    time::OffsetDateTime::parse(
        &made.received_at,
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    // Again (the answer was lost): the same call, 200.
    let (status, _, again) = answer(a.put(&url).json(&json!({"screen": "pin"}))).await;
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_value::<StaffCallStateV1>(again).unwrap(),
        made
    );

    // Kiosk B can neither read, make, nor withdraw A's call, under any
    // spelling of A's code; nobody without a certificate can either.
    let encoded = served.kiosk_url(&call_path("%54YA", id));
    for (what, request) in [
        ("read", b.get(&url)),
        ("read, encoded", b.get(&encoded)),
        ("make", b.put(&url).json(&json!({"screen": "pin"}))),
        (
            "make, encoded",
            b.put(&encoded).json(&json!({"screen": "pin"})),
        ),
        (
            "withdraw",
            b.post(format!("{url}/withdraw")).json(&json!({})),
        ),
    ] {
        let (status, _, body) = answer(request).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (403, Some("forbidden")),
            "{what}"
        );
    }
    let (status, _, body) = answer(nobody.get(&url)).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("unauthenticated"))
    );
    // A's own code in another spelling is none of A's: refused too.
    let (status, _, _) = answer(a.get(served.kiosk_url(&call_path("tya", id)))).await;
    assert_eq!(status, 403);
    // B's own path with A's id: B made no such call.
    let (status, _, body) = answer(b.get(served.kiosk_url(&call_path("KAB", id)))).await;
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")));
    // Staff have no business on the kiosk listener, kiosks none on the
    // staff listener (no handshake).
    assert!(
        b.get(served.staff_url("/v1/admin/staff-calls"))
            .send()
            .await
            .is_err()
    );

    // The same id with another screen: a conflict, the call unchanged.
    let (status, _, body) = answer(a.put(&url).json(&json!({"screen": "payment"}))).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("staff_call_conflict"))
    );
    // The id in another spelling names no call.
    for other in [
        "00000000000000A1",
        "0000000000000a1",
        "000000000000000a1",
        "0x000000000000a1",
    ] {
        let (status, _, body) = answer(
            a.put(served.kiosk_url(&call_path("TYA", other)))
                .json(&json!({"screen": "pin"})),
        )
        .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (404, Some("not_found")),
            "{other}"
        );
        let (status, _, _) = answer(a.get(served.kiosk_url(&call_path("TYA", other)))).await;
        assert_eq!(status, 404, "{other}");
    }
    // A screen the kiosk does not have.
    let (status, _, body) = answer(
        a.put(served.kiosk_url(&call_path("TYA", "00000000000000a2")))
            .json(&json!({"screen": "Pin"})),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("invalid_field"))
    );
    assert_eq!(body["field"], "screen");

    // Staff see it, and 王芳 goes.
    let (status, _, list) = answer(staff.get(served.staff_url("/v1/admin/staff-calls"))).await;
    assert_eq!(status, 200);
    let list: Vec<StaffCallStateV1> = serde_json::from_value(list).unwrap();
    assert_eq!(list, std::slice::from_ref(&made));
    let ack_url = served.staff_url(&format!("/v1/admin/staff-calls/TYA/{id}/acknowledge"));
    let (status, text, acked) = answer(staff.post(&ack_url).json(&json!({}))).await;
    assert_eq!(status, 200, "{text}");
    assert!(!text.contains("王芳"), "{text}");
    let acked: StaffCallStateV1 = serde_json::from_value(acked).unwrap();
    assert_eq!(acked.status(), Some(CallStatus::Acknowledged));
    assert!(acked.acknowledged_at.is_some());
    // Again (another clerk, a double click): unchanged.
    let (status, _, twice) = answer(staff.post(&ack_url).json(&json!({}))).await;
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_value::<StaffCallStateV1>(twice).unwrap(),
        acked
    );
    // The staff API takes JSON only.
    let (status, _, _) = answer(staff.post(&ack_url).form(&[("x", "1")])).await;
    assert_eq!(status, 415);

    // The kiosk reads that someone is coming, never who.
    for request in [a.get(&url), a.put(&url).json(&json!({"screen": "pin"}))] {
        let (status, text, state) = answer(request).await;
        assert_eq!(status, 200);
        assert_eq!(state["state"], "acknowledged", "{text}");
        assert!(
            !text.contains("王芳") && !text.contains("acknowledged_by"),
            "{text}"
        );
    }
    // The back office says who went.
    let (status, page, _) = answer(staff.get(served.staff_url("/admin"))).await;
    assert_eq!(status, 200);
    assert!(page.contains("已由 王芳 前往处理"), "{page}");

    // The customer leaves: withdrawn, the acknowledgement kept; again,
    // unchanged; staff see it no more, and acknowledging it changes nothing.
    let (status, _, gone) = answer(a.post(format!("{url}/withdraw")).json(&json!({}))).await;
    assert_eq!(status, 200);
    let gone: StaffCallStateV1 = serde_json::from_value(gone).unwrap();
    assert_eq!(gone.status(), Some(CallStatus::Withdrawn));
    assert_eq!(gone.acknowledged_at, acked.acknowledged_at);
    let (status, _, again) = answer(a.post(format!("{url}/withdraw")).json(&json!({}))).await;
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_value::<StaffCallStateV1>(again).unwrap(),
        gone
    );
    let (_, _, list) = answer(staff.get(served.staff_url("/v1/admin/staff-calls"))).await;
    assert_eq!(list, json!([]));
    let (status, _, late) = answer(staff.post(&ack_url).json(&json!({}))).await;
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_value::<StaffCallStateV1>(late).unwrap(),
        gone
    );
    // The withdraw body is `{}`, as JSON.
    let (status, _, _) = answer(a.post(format!("{url}/withdraw")).json(&json!({"x": 1}))).await;
    assert_eq!(status, 400);
    let (status, _, _) = answer(a.post(format!("{url}/withdraw"))).await;
    assert_eq!(status, 415);

    // Unknown calls: 404 everywhere.
    let unknown = served.kiosk_url(&call_path("TYA", "00000000000000ff"));
    let (status, _, _) = answer(a.get(&unknown)).await;
    assert_eq!(status, 404);
    let (status, _, _) = answer(a.post(format!("{unknown}/withdraw")).json(&json!({}))).await;
    assert_eq!(status, 404);
    let (status, _, _) = answer(
        staff
            .post(served.staff_url("/v1/admin/staff-calls/TYA/00000000000000ff/acknowledge"))
            .json(&json!({})),
    )
    .await;
    assert_eq!(status, 404);
    assert!(
        served
            .service
            .storage()
            .staff_call("TYA", "00000000000000ff")
            .unwrap()
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kiosk_has_at_most_five_open_calls() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new();
    let served = Served::start(dir.path(), &pki).await;
    let a = https(&pki, Some(&pki.device_ca.device("TYA")));
    let b = https(&pki, Some(&pki.device_ca.device("KAB")));
    let staff = https(&pki, Some(&pki.staff_ca.device("王芳")));
    let put = |http: &reqwest::Client, kiosk: &str, n: u64| {
        http.put(served.kiosk_url(&call_path(kiosk, &format!("{n:016x}"))))
            .json(&json!({"screen": "home"}))
    };
    for n in 1..=5 {
        let (status, text, _) = answer(put(&a, "TYA", n)).await;
        assert_eq!(status, 201, "call {n}: {text}");
    }
    let r = put(&a, "TYA", 6).send().await.unwrap();
    assert_eq!(r.status(), 429);
    let wait: u32 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait > 0);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "too_many_requests");
    assert!(
        served
            .service
            .storage()
            .staff_call("TYA", &format!("{:016x}", 6))
            .unwrap()
            .is_none()
    );
    // A call made before is still answered; another kiosk has its own five.
    let (status, _, _) = answer(put(&a, "TYA", 1)).await;
    assert_eq!(status, 200);
    let (status, _, _) = answer(put(&b, "KAB", 6)).await;
    assert_eq!(status, 201);
    // One acknowledged, one withdrawn: room for two more.
    let (status, _, _) = answer(
        staff
            .post(served.staff_url(&format!("/v1/admin/staff-calls/TYA/{:016x}/acknowledge", 1)))
            .json(&json!({})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _, _) = answer(
        a.post(served.kiosk_url(&format!(
            "{}/withdraw",
            call_path("TYA", &format!("{:016x}", 2))
        )))
        .json(&json!({})),
    )
    .await;
    assert_eq!(status, 200);
    for n in [6, 7] {
        let (status, _, _) = answer(put(&a, "TYA", n)).await;
        assert_eq!(status, 201, "call {n}");
    }
    let (status, _, _) = answer(put(&a, "TYA", 8)).await;
    assert_eq!(status, 429);
    // Staff see the open ones first, the oldest first, then the one
    // acknowledged.
    let (_, _, list) = answer(staff.get(served.staff_url("/v1/admin/staff-calls"))).await;
    let listed: Vec<(String, String, String)> =
        serde_json::from_value::<Vec<StaffCallStateV1>>(list)
            .unwrap()
            .into_iter()
            .map(|c| (c.kiosk, c.call, c.state))
            .collect();
    let expected: Vec<(String, String, String)> = [
        ("TYA", 3, "open"),
        ("TYA", 4, "open"),
        ("TYA", 5, "open"),
        ("KAB", 6, "open"),
        ("TYA", 6, "open"),
        ("TYA", 7, "open"),
        ("TYA", 1, "acknowledged"),
    ]
    .into_iter()
    .map(|(k, n, s)| (k.to_owned(), format!("{n:016x}"), s.to_owned()))
    .collect();
    assert_eq!(listed, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kiosks_port_says_open_acknowledged_withdrawn_refused_and_offline() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new();
    let mut served = Served::start(dir.path(), &pki).await;
    let kiosk = client(&pki, &served.kiosk_url(""), &pki.device_ca.device("TYA"));
    let clerk = client(&pki, &served.staff_url(""), &pki.staff_ca.device("王芳"));
    let call = StaffCall {
        kiosk: "TYA".parse().unwrap(),
        id: CallId::new(0x5eed),
        screen: CallScreen::PinLocked,
    };

    assert_eq!(kiosk.call_staff(&call).await, Ok(CallStatus::Open));
    assert_eq!(
        kiosk.call_staff(&call).await,
        Ok(CallStatus::Open),
        "idempotent"
    );
    assert_eq!(kiosk.staff_call(&call).await, Ok(CallStatus::Open));
    let listed = clerk.staff_calls().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].call.as_str(), listed[0].screen.as_str()),
        ("0000000000005eed", "pin-locked")
    );
    let acked = clerk
        .acknowledge_staff_call("TYA", &call.id.to_string())
        .await
        .unwrap();
    assert_eq!(acked.status(), Some(CallStatus::Acknowledged));
    let stored = served
        .service
        .storage()
        .staff_call("TYA", "0000000000005eed")
        .unwrap()
        .unwrap();
    assert_eq!(stored.acknowledged_by.as_deref(), Some("王芳"));
    assert_eq!(kiosk.staff_call(&call).await, Ok(CallStatus::Acknowledged));
    assert_eq!(kiosk.call_staff(&call).await, Ok(CallStatus::Acknowledged));
    assert_eq!(
        kiosk.withdraw_staff_call(&call).await,
        Ok(CallStatus::Withdrawn)
    );
    assert_eq!(kiosk.staff_call(&call).await, Ok(CallStatus::Withdrawn));

    // Refused: the same id for another screen; another kiosk's call.
    let conflicting = StaffCall {
        screen: CallScreen::Payment,
        ..call
    };
    assert_eq!(
        kiosk.call_staff(&conflicting).await,
        Err(CallFailure::Refused)
    );
    let elsewhere = StaffCall {
        kiosk: "KAB".parse().unwrap(),
        ..call
    };
    assert_eq!(
        kiosk.call_staff(&elsewhere).await,
        Err(CallFailure::Refused)
    );
    // Unknown: refused, not offline.
    let unknown = StaffCall {
        id: CallId::new(1),
        ..call
    };
    assert_eq!(kiosk.staff_call(&unknown).await, Err(CallFailure::Refused));
    // Too many open: the CA answered and did not take it — not "the network
    // is down" (the customer is sent to the counter).
    for n in 10..15 {
        let open = StaffCall {
            id: CallId::new(n),
            ..call
        };
        assert_eq!(kiosk.call_staff(&open).await, Ok(CallStatus::Open));
    }
    let sixth = StaffCall {
        id: CallId::new(15),
        ..call
    };
    assert_eq!(kiosk.call_staff(&sixth).await, Err(CallFailure::Refused));

    // The CA stops: offline.
    served.stop.clear();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(kiosk.call_staff(&call).await, Err(CallFailure::Offline));
    assert_eq!(kiosk.staff_call(&call).await, Err(CallFailure::Offline));
    assert_eq!(
        kiosk.withdraw_staff_call(&call).await,
        Err(CallFailure::Offline)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_back_office_shows_calls_and_a_clerk_goes_by_its_form() {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new();
    let served = Served::start(dir.path(), &pki).await;
    let a = https(&pki, Some(&pki.device_ca.device("TYA")));
    let clerk = "<i>李四</i>";
    let staff = https(&pki, Some(&pki.staff_ca.device(clerk)));
    let csrf = served
        .service
        .csrf_token(&ca_service::Caller::Staff(clerk.to_owned()))
        .unwrap();
    let id = "00000000000000b1";
    let (status, _, _) = answer(
        a.put(served.kiosk_url(&call_path("TYA", id)))
            .json(&json!({"screen": "install"})),
    )
    .await;
    assert_eq!(status, 201);

    let (_, page, _) = answer(staff.get(served.staff_url("/admin"))).await;
    let section = page.find("<h2>呼叫工作人员</h2>").unwrap();
    assert!(section < page.find("<h2>订单</h2>").unwrap(), "at the top");
    assert!(
        page.contains(&format!(
            "<tr id=\"call-TYA-{id}\"><td>TYA</td><td>证书写入/异常恢复</td>"
        )),
        "{page}"
    );
    assert!(page.contains("（已等待 0 分钟）"), "{page}");
    assert!(page.contains("待处理"));
    assert!(page.contains(&format!("id=\"ack-call-TYA-{id}\">前往处理</button>")));
    assert!(page.contains(&format!("name=\"csrf\" value=\"{csrf}\"")));

    // A form without the clerk's token is refused; with it, the clerk goes.
    let form = served.staff_url(&format!("/admin/staff-calls/TYA/{id}/acknowledge"));
    let (status, _, _) = answer(staff.post(&form).form(&[("csrf", "0".repeat(64))])).await;
    assert_eq!(status, 403);
    assert_eq!(
        served
            .service
            .storage()
            .staff_call("TYA", id)
            .unwrap()
            .unwrap()
            .status,
        CallStatus::Open
    );
    let r = staff
        .post(&form)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/admin");
    let (_, page, _) = answer(staff.get(served.staff_url("/admin"))).await;
    assert!(
        page.contains("已由 &lt;i&gt;李四&lt;/i&gt; 前往处理"),
        "{page}"
    );
    assert!(!page.contains("<i>李四"));
    assert!(!page.contains(&format!("ack-call-TYA-{id}")));
    let (_, text, state) = answer(a.get(served.kiosk_url(&call_path("TYA", id)))).await;
    assert_eq!(state["state"], "acknowledged");
    assert!(!text.contains("李四"));

    // Withdrawn meanwhile: the page says the customer left.
    let (status, _, _) = answer(
        a.post(served.kiosk_url(&format!("{}/withdraw", call_path("TYA", id))))
            .json(&json!({})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, page, _) = answer(staff.post(&form).form(&[("csrf", csrf.as_str())])).await;
    assert_eq!(status, 200);
    assert!(page.contains("顾客已离开"), "{page}");
    let (_, page, _) = answer(staff.get(served.staff_url("/admin"))).await;
    assert!(page.contains("暂无呼叫"), "{page}");
    // An unknown call: a page saying so.
    let (status, page, _) = answer(
        staff
            .post(served.staff_url("/admin/staff-calls/TYA/00000000000000ff/acknowledge"))
            .form(&[("csrf", csrf.as_str())]),
    )
    .await;
    assert_eq!(status, 404);
    assert!(page.contains("操作未完成"), "{page}");
}
