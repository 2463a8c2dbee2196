//! The served OpenAPI document matches the router: every route is
//! documented, nothing documented is missing, every `$ref` resolves, and
//! every problem code is listed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test, with its location"
)]

mod common;

use ca_service::access::Who;
use ca_service::{Options, ROUTES};
use common::*;
use kiosk_sync_wire::problem::ProblemCode;
use serde_json::Value;

fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                if k == "$ref" {
                    out.extend(v.as_str());
                } else {
                    refs(v, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_and_the_router_agree() {
    let ca = start(Options::default()).await;
    let doc: Value = ca.get("/openapi.json").await.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    for ca_service::access::Route {
        method,
        path,
        who,
        demo,
    } in ROUTES
    {
        let op = &doc["paths"][path][method];
        assert!(op.is_object(), "{method} {path} is not documented");
        // Who may call it, as the service checks it.
        let (access, scheme) = match who {
            Who::Anyone => ("anyone", None),
            Who::AnyKiosk => ("any-kiosk", Some("kioskDevice")),
            Who::OwnOrder => ("own-order", Some("kioskDevice")),
            Who::OwnKiosk => ("own-kiosk", Some("kioskDevice")),
            Who::Staff => ("staff", Some("staffCertificate")),
        };
        assert_eq!(op["x-kiosk-ca-access"], access, "{method} {path}");
        assert_eq!(
            op["x-kiosk-ca-demo-only"].as_bool().unwrap_or(false),
            *demo,
            "{method} {path}"
        );
        let security = op["security"].as_array().unwrap();
        match scheme {
            None => assert!(security.is_empty(), "{method} {path}"),
            Some(scheme) => {
                assert_eq!(security.len(), 1, "{method} {path}");
                assert!(security[0][scheme].is_array(), "{method} {path}");
                assert_eq!(
                    doc["components"]["securitySchemes"][scheme]["type"],
                    "mutualTLS"
                );
            }
        }
        if scheme == Some("kioskDevice") {
            assert!(op["responses"]["401"].is_object(), "{method} {path}");
        }
        if matches!(who, Who::OwnOrder | Who::OwnKiosk) {
            assert!(op["responses"]["403"].is_object(), "{method} {path}");
        }
    }
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| *k != "parameters")
        {
            assert!(
                ROUTES
                    .iter()
                    .any(|r| (r.method, r.path) == (method.as_str(), path.as_str())),
                "{method} {path} is documented but not served"
            );
        }
    }
    let mut found = Vec::new();
    refs(&doc, &mut found);
    for r in found {
        let pointer = r.strip_prefix('#').unwrap();
        assert!(doc.pointer(pointer).is_some(), "{r} does not resolve");
    }
    let codes = doc["components"]["schemas"]["Problem"]["properties"]["code"]["enum"]
        .as_array()
        .unwrap();
    for code in ProblemCode::ALL {
        assert!(
            codes.iter().any(|c| c == code.as_str()),
            "{}",
            code.as_str()
        );
    }
}
