//! The staff CA's revocation lists (`--staff-crl`, `GET /v1/staff/crl`):
//! only lists the staff CA signed are published (the service does not
//! start with another), served to kiosks, and read again when replaced.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test, with its location"
)]

mod common;

use ca_service::{Options, Service, ServiceError, staff_crl::StaffCrlError};
use common::*;
use kiosk_sync_wire::hex;
use kiosk_sync_wire::problem::ProblemCode;
use kiosk_x509::test_ca::{TestCa, pem};
use std::path::{Path, PathBuf};
use std::time::Duration;
use time::OffsetDateTime;

/// A list of `ca`, numbered `number`, revoking nothing.
fn crl(ca: &TestCa, number: u64) -> Vec<u8> {
    ca.crl(&[], OffsetDateTime::now_utc(), number).unwrap()
}

/// `bytes` in `dir/name`, as an operator replaces a file: written beside
/// it, renamed over it.
fn put(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    let new = dir.join(format!("{name}.new"));
    std::fs::write(&new, bytes).unwrap();
    std::fs::rename(&new, &path).unwrap();
    path
}

fn options(staff: &TestCa, files: Vec<PathBuf>) -> Options {
    Options {
        staff_crls: files,
        staff_ca_der: vec![staff.root_der()],
        ..Options::default()
    }
}

/// The lists `GET /v1/staff/crl` answers, and its `ETag`.
async fn lists(ca: &Running) -> (Vec<Vec<u8>>, String) {
    let r = ca.get("/v1/staff/crl").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    let body: serde_json::Value = r.json().await.unwrap();
    let lists = body["crls_der_hex"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| hex::decode(h.as_str().unwrap()).unwrap())
        .collect();
    (lists, etag)
}

#[test]
fn the_service_does_not_start_with_a_list_the_staff_ca_did_not_sign() {
    let files = tempfile::tempdir().unwrap();
    let staff = TestCa::new("Staff CA").unwrap();
    let other = TestCa::new("Other CA").unwrap();
    let good = put(files.path(), "good.crl", &crl(&staff, 1));
    let bad = put(files.path(), "bad.crl", &crl(&other, 1));
    let data = files.path().join("data");
    let e = Service::open(&data, options(&staff, vec![good.clone(), bad.clone()])).unwrap_err();
    assert!(
        matches!(&e, ServiceError::StaffCrl(StaffCrlError::NotVerified { path, index: 1, .. }) if *path == bad),
        "{e}"
    );
    // Nor with the right CA's list signed by another key under its name.
    let impostor = TestCa::new("Staff CA").unwrap();
    let forged = put(files.path(), "forged.crl", &crl(&impostor, 2));
    let e = Service::open(&data, options(&staff, vec![forged])).unwrap_err();
    assert!(e.to_string().contains("does not verify"), "{e}");
    // Nor without the staff CA to check them with.
    let e = Service::open(
        &data,
        Options {
            staff_crls: vec![good],
            ..Options::default()
        },
    )
    .unwrap_err();
    assert!(
        matches!(e, ServiceError::StaffCrl(StaffCrlError::NoStaffCa)),
        "{e}"
    );
    assert!(!data.exists(), "nothing made for it");
}

#[test]
fn the_binary_says_which_list_is_not_the_staff_cas() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let staff = TestCa::new("Staff CA").unwrap();
    let other = TestCa::new("Other CA").unwrap();
    let staff_ca = put(d, "staff-ca.pem", staff.root_pem().as_bytes());
    let kiosk_ca = put(d, "kiosk-ca.pem", other.root_pem().as_bytes());
    let good = put(d, "good.crl", pem("X509 CRL", &crl(&staff, 1)).as_bytes());
    let bad = put(d, "bad.crl", &crl(&other, 1));
    let data = d.join("data");
    // Comma-separated; the TLS files are not read before the lists are.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ca-service"))
        .args(["--listen", "127.0.0.1:0", "--staff-listen", "127.0.0.1:0"])
        .arg("--data")
        .arg(&data)
        .arg("--tls-cert")
        .arg(&kiosk_ca)
        .arg("--tls-key")
        .arg(&kiosk_ca)
        .arg("--client-ca")
        .arg(&kiosk_ca)
        .arg("--staff-client-ca")
        .arg(&staff_ca)
        .arg("--staff-crl")
        .arg(format!("{},{}", good.display(), bad.display()))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("--staff-crl"), "{said}");
    assert!(
        said.contains(&format!(
            "{}: revocation list 1 is not the staff CA's",
            bad.display()
        )),
        "{said}"
    );
    assert!(!data.exists(), "nothing made for it");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kiosks_get_the_staff_lists_and_a_304_when_they_hold_them() {
    let files = tempfile::tempdir().unwrap();
    let staff = TestCa::new("Staff CA").unwrap();
    let (first, second) = (crl(&staff, 1), crl(&staff, 2));
    let pem_file = put(
        files.path(),
        "staff.pem",
        format!("{}{}", pem("X509 CRL", &first), staff.root_pem()).as_bytes(),
    );
    let der_file = put(files.path(), "staff.crl", &second);
    let ca = start(options(&staff, vec![pem_file, der_file])).await;
    let (got, etag) = lists(&ca).await;
    assert_eq!(got, vec![first.clone(), second]);
    assert_eq!(ca.service.staff_revocation_lists(), got);

    // The kiosk holds them: 304, nothing sent.
    for asked in [etag.clone(), format!("\"other\", W/{etag}"), "*".to_owned()] {
        let r = ca
            .http
            .get(ca.url("/v1/staff/crl"))
            .header("if-none-match", &asked)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 304, "{asked}");
        assert_eq!(r.headers()["etag"], etag.as_str());
        assert!(r.bytes().await.unwrap().is_empty());
    }
    let r = ca
        .http
        .get(ca.url("/v1/staff/crl"))
        .header("if-none-match", "\"older\"")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = ca.http.head(ca.url("/v1/staff/crl")).send().await.unwrap();
    assert_eq!(r.status(), 200);

    // A CA without staff lists: 404 not_found (not "no such route").
    let none = start(Options::default()).await;
    let p = expect_problem(none.get("/v1/staff/crl").await, 404, ProblemCode::NotFound).await;
    assert_ne!(p.detail.as_deref(), Some(ca_service::NO_SUCH_ROUTE));
    assert!(none.service.staff_revocation_lists().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replaced_list_is_served_once_read_again_and_a_bad_one_never() {
    let files = tempfile::tempdir().unwrap();
    let staff = TestCa::new("Staff CA").unwrap();
    let other = TestCa::new("Other CA").unwrap();
    let first = crl(&staff, 1);
    let path = put(files.path(), "staff.crl", &first);
    let ca = start(Options {
        staff_crl_recheck: Duration::ZERO,
        ..options(&staff, vec![path.clone()])
    })
    .await;
    let (got, first_tag) = lists(&ca).await;
    assert_eq!(got, vec![first.clone()]);

    // The next list, as PEM: served at the next request.
    let second = crl(&staff, 2);
    put(
        files.path(),
        "staff.crl",
        pem("X509 CRL", &second).as_bytes(),
    );
    let (got, second_tag) = lists(&ca).await;
    assert_eq!(got, vec![second.clone()]);
    assert_ne!(second_tag, first_tag);

    // Another CA's, garbage, nothing at all: the last good one stays.
    put(files.path(), "staff.crl", &crl(&other, 3));
    assert_eq!(lists(&ca).await, (vec![second.clone()], second_tag.clone()));
    put(files.path(), "staff.crl", b"not a list");
    assert_eq!(lists(&ca).await.0, vec![second.clone()]);
    std::fs::remove_file(&path).unwrap();
    assert_eq!(lists(&ca).await.0, vec![second.clone()]);
    // Put right again: served.
    let third = crl(&staff, 4);
    put(files.path(), "staff.crl", &third);
    assert_eq!(lists(&ca).await.0, vec![third.clone()]);

    // Looked at again only once the interval has passed.
    let ca = start(options(&staff, vec![path.clone()])).await;
    assert_eq!(
        ca.service.options().staff_crl_recheck,
        Duration::from_secs(60)
    );
    put(files.path(), "staff.crl", &first);
    assert_eq!(lists(&ca).await.0, [third]);
}
