//! The protocol between the kiosk and the CA, version 1 (`/v1/...`).
//!
//! These are the wire's own types, not the domain's: the domain may change
//! its model freely, the wire changes only with a new version. Every value a
//! person typed travels as a string and is re-validated by the CA with the
//! domain's rules ([`order::OrderV1::validate`]).
//!
//! - [`order`]: the order document, `PUT /v1/orders/{number}` with an
//!   `Idempotency-Key`, and the record the CA keeps.
//! - [`attachment`]: resumable, content-hashed attachment uploads (raw bytes).
//! - [`feed`]: status changes with a cursor, and the back office's review.
//! - [`renewal`]: a PKCS #10 request with proof of possession, in; the
//!   certificate, out.
//! - [`payment`]: the aggregated QR payment and its simulator, counter and
//!   bank-transfer payments, remittance notes.
//! - [`issuance`]: the CA's roots, and demonstration issuance.
//! - [`config`]: prices, projects and the agreement text (`GET /v1/config`).
//! - [`invoice`]: the electronic invoice of a paid order.
//! - [`account`]: enterprise accounts (register, sign in, passwords, the
//!   mobile on file, the unit's information).
//! - [`sms`]: SMS verification codes (the CA's gateway simulator).
//! - [`staff_call`]: 呼叫工作人员, a kiosk's call for staff.
//! - [`audit`]: the kiosk's audit log, copied to the CA entry by entry.
//! - [`staff_signed`]: what a member of staff signs at a kiosk with their
//!   own key (the proof a counter payment carries too), and the cancel of
//!   an order that waits for its payment.
//! - [`problem`]: problem+json errors with stable codes and messages for the
//!   customer in zh-CN and English.
//!
//! The OpenAPI 3.1 document of this version is `sync/openapi.json`
//! ([`OPENAPI_JSON`]); the CA serves it at `GET /openapi.json`.

pub mod account;
pub mod attachment;
pub mod audit;
pub mod config;
pub mod feed;
pub mod hex;
pub mod holder;
pub mod identity;
pub mod invoice;
pub mod issuance;
pub mod lookup;
pub mod onsite;
pub mod order;
pub mod payment;
pub mod problem;
pub mod renewal;
pub mod sms;
pub mod staff_call;
pub mod staff_signed;

/// The protocol version, the first segment of every path.
pub const VERSION: &str = "v1";

/// The OpenAPI 3.1 document of this protocol.
pub const OPENAPI_JSON: &str = include_str!("../../openapi.json");

/// Header names of the protocol.
pub mod headers {
    /// 128 random bits in hex, one per order, the same on every attempt.
    pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
    /// SHA-256 (lower-case hex) of the *whole* attachment, sent with every part.
    pub const SHA256: &str = "sha-256";
    /// How many bytes of an attachment the CA holds.
    pub const UPLOAD_OFFSET: &str = "upload-offset";
    /// The media type of problem documents.
    pub const PROBLEM_JSON: &str = "application/problem+json";
}

/// Paths of the protocol, as the client builds them. Order numbers are
/// upper-case letters and digits, so they need no escaping.
pub mod paths {
    /// `PUT`: create the order.
    #[must_use]
    pub fn order(number: &str) -> String {
        format!("/v1/orders/{number}")
    }
    /// `GET`/`HEAD`: the CA's offset; `PUT ?offset=N`: the bytes from there.
    #[must_use]
    pub fn attachment(number: &str, position: u32) -> String {
        format!("/v1/orders/{number}/attachments/{position}")
    }
    /// `POST`: the order is complete.
    #[must_use]
    pub fn submit(number: &str) -> String {
        format!("/v1/orders/{number}/submit")
    }
    /// `GET ?cursor=N&limit=M`: status changes after `cursor`.
    pub const FEED: &str = "/v1/feed";
    /// `POST`: 实人认证, a face against a name and ID number (demo: the
    /// simulator).
    pub const IDENTITY_CHECKS: &str = "/v1/identity/checks";
    /// `PUT` (staff, demo): the reference photo the simulator holds for an
    /// ID number.
    #[must_use]
    pub fn identity_reference(resident_id: &str) -> String {
        format!("/v1/admin/identity/{resident_id}")
    }
    /// `POST`: 查询订单, an order by its number and mobile.
    pub const LOOKUP: &str = "/v1/orders/lookup";
    /// `POST`: 现场领取, an order to pick up, by its number and mobile.
    pub const PICKUP: &str = "/v1/orders/pickup";
    /// `POST`: the unit's request for an order picked up at the hall.
    #[must_use]
    pub fn issuance(number: &str) -> String {
        format!("/v1/orders/{number}/issuance")
    }
    /// `GET`: the certificate issued on site for this attempt, again.
    #[must_use]
    pub fn issuance_again(number: &str, attempt: u32) -> String {
        format!("/v1/orders/{number}/issuance/{attempt}")
    }
    /// `POST`: the certificate and e-seals are on the blank key.
    #[must_use]
    pub fn written(number: &str) -> String {
        format!("/v1/orders/{number}/written")
    }
    /// `POST`: a renewal request with proof of possession.
    #[must_use]
    pub fn renewal(number: &str) -> String {
        format!("/v1/renewals/{number}")
    }
    /// `GET`: the certificate issued for this order and attempt, again (a
    /// kiosk that lost the answer: a new request would be a new CSR).
    #[must_use]
    pub fn issued(number: &str, attempt: u32) -> String {
        format!("/v1/renewals/{number}/attempts/{attempt}")
    }
    /// `POST`: the paid renewals of a certificate whose install the CA has
    /// not heard finished (the serial in the body).
    pub const OPEN_RENEWALS: &str = "/v1/renewals/open";
    /// `POST`: may this certificate (in the body) be renewed now?
    pub const CHECK_RENEWAL: &str = "/v1/renewals/check";
    /// `POST`: the kiosk says a renewal's certificate is on the key.
    #[must_use]
    pub fn installed(number: &str) -> String {
        format!("/v1/renewals/{number}/installed")
    }
    /// `POST`: the back office approves an application.
    #[must_use]
    pub fn approve(number: &str) -> String {
        format!("/v1/admin/orders/{number}/approve")
    }
    /// `POST`: the back office rejects an application, with a reason.
    #[must_use]
    pub fn reject(number: &str) -> String {
        format!("/v1/admin/orders/{number}/reject")
    }
    /// `POST`: create (or find again) the QR payment of an order.
    pub const PAYMENTS: &str = "/v1/payments";
    /// `GET`: a payment's state (the kiosk polls it while the QR shows).
    #[must_use]
    pub fn payment(id: &str) -> String {
        format!("/v1/payments/{id}")
    }
    /// `POST`: staff record a counter or bank-transfer payment.
    #[must_use]
    pub fn admin_payments(number: &str) -> String {
        format!("/v1/admin/orders/{number}/payments")
    }
    /// `POST`: a payment staff took for one of the kiosk's orders, signed
    /// with their staff key.
    #[must_use]
    pub fn counter_payments(number: &str) -> String {
        format!("/v1/orders/{number}/counter-payments")
    }
    /// `POST`: one of the kiosk's orders, waiting for its payment, withdrawn
    /// by a member of staff, signed with their staff key.
    #[must_use]
    pub fn order_cancellation(number: &str) -> String {
        format!("/v1/orders/{number}/cancellation")
    }
    /// `POST`: the customer's bank-transfer remittance note.
    #[must_use]
    pub fn remittance(number: &str) -> String {
        format!("/v1/orders/{number}/remittance")
    }
    /// `GET`: the roots that issue customer certificates.
    pub const CA_ROOTS: &str = "/v1/ca/roots";

    /// `GET`: the contact and invoice details on file for a certificate.
    #[must_use]
    pub fn holder(serial_hex: &str) -> String {
        format!("/v1/certificates/{serial_hex}/holder")
    }

    /// `PUT` (staff): sets them.
    #[must_use]
    pub fn admin_holder(serial_hex: &str) -> String {
        format!("/v1/admin/certificates/{serial_hex}/holder")
    }
    /// `POST`: demonstration issuance (`ca-service --demo` only).
    pub const DEMO_ISSUE: &str = "/v1/admin/demo/issue";
    /// `PUT`: 呼叫工作人员, a call from this kiosk; `GET`: how it stands.
    #[must_use]
    pub fn staff_call(kiosk: &str, call: &str) -> String {
        format!("/v1/kiosks/{kiosk}/staff-calls/{call}")
    }
    /// `POST`: the customer left, staff need not come.
    #[must_use]
    pub fn staff_call_withdraw(kiosk: &str, call: &str) -> String {
        format!("/v1/kiosks/{kiosk}/staff-calls/{call}/withdraw")
    }
    /// `GET`: how far the CA's copy of this kiosk's audit log goes.
    #[must_use]
    pub fn audit(kiosk: &str) -> String {
        format!("/v1/kiosks/{kiosk}/audit")
    }
    /// `PUT`: entry `seq` of this kiosk's audit log.
    #[must_use]
    pub fn audit_entry(kiosk: &str, seq: u64) -> String {
        format!("/v1/kiosks/{kiosk}/audit/{seq}")
    }
    /// `GET ?after=N&limit=M` (staff): a kiosk's audit log as the CA holds it.
    #[must_use]
    pub fn admin_audit(kiosk: &str) -> String {
        format!("/v1/admin/kiosks/{kiosk}/audit")
    }
    /// `GET` (staff): the open calls, the oldest first.
    pub const ADMIN_STAFF_CALLS: &str = "/v1/admin/staff-calls";
    /// `POST` (staff): a member of staff is coming.
    #[must_use]
    pub fn staff_call_acknowledge(kiosk: &str, call: &str) -> String {
        format!("/v1/admin/staff-calls/{kiosk}/{call}/acknowledge")
    }
    /// `POST`: send an SMS verification code.
    pub const SMS_CODES: &str = "/v1/sms/codes";
    /// `POST`: check an SMS verification code.
    pub const SMS_VERIFY: &str = "/v1/sms/verify";
    /// `GET`: prices, projects, the agreement.
    pub const CONFIG: &str = "/v1/config";
    /// `GET`: the order's invoice (staff issue it with `POST
    /// /v1/admin/orders/{number}/invoice`).
    #[must_use]
    pub fn invoice(number: &str) -> String {
        format!("/v1/orders/{number}/invoice")
    }
    /// `POST`: register an enterprise account.
    pub const ACCOUNTS: &str = "/v1/accounts";
    /// `POST`: sign in; `DELETE`: sign out.
    pub const SESSION: &str = "/v1/accounts/session";
    /// `POST`: forgot password (SMS code, then a new password).
    pub const PASSWORD_RESET: &str = "/v1/accounts/password-reset";
    /// `GET` (signed in): the unit's information.
    pub const ME: &str = "/v1/accounts/me";
    /// `POST` (signed in): change password.
    pub const MY_PASSWORD: &str = "/v1/accounts/me/password";
    /// `POST` (signed in): change mobile.
    pub const MY_MOBILE: &str = "/v1/accounts/me/mobile";
    /// `POST`: the old number is lost, ask the CA to review a new one.
    pub const MOBILE_REVIEWS: &str = "/v1/accounts/mobile-reviews";
    /// `PUT`: one photograph for a review request (JPEG), by its SHA-256
    /// in lower-case hex.
    #[must_use]
    pub fn review_capture(sha256_hex: &str) -> String {
        format!("/v1/accounts/mobile-reviews/captures/{sha256_hex}")
    }
    /// `GET` (staff): the review requests.
    pub const ADMIN_MOBILE_REVIEWS: &str = "/v1/admin/mobile-reviews";
    pub const OPENAPI: &str = "/openapi.json";
}
