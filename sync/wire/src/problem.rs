//! Errors as problem+json (RFC 9457) with a stable `code` and a message for
//! the customer in both languages. Clients act on `code`, never on text.

use kiosk_domain::lang::{Lang, Localized};
use serde::{Deserialize, Serialize};

/// Every error code of the protocol. The spellings are stable: new codes
/// may be added, none is renamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ProblemCode {
    /// The body is not the JSON the route expects.
    MalformedBody,
    /// A field breaks the domain's rules (see `field`).
    InvalidField,
    /// `PUT /v1/orders/{number}` without a well-formed `Idempotency-Key`.
    IdempotencyKeyMissing,
    /// The key was used before with a different body.
    IdempotencyKeyReused,
    /// Another request with this key is being processed: retry later.
    RequestInFlight,
    /// The path's order number is not the body's.
    NumberMismatch,
    /// The order number exists under another idempotency key.
    NumberTaken,
    /// No such order (or attachment).
    NotFound,
    /// The CA does not offer this project.
    UnknownProject,
    /// An attachment part does not start at the CA's offset (see `Upload-Offset`).
    OffsetMismatch,
    /// More bytes than the attachment's declared size.
    AttachmentTooLarge,
    /// The complete attachment's SHA-256 is not the declared one; the CA
    /// dropped what it had, send it again from 0.
    DigestMismatch,
    /// Submitted before every attachment was complete.
    AttachmentsIncomplete,
    /// The order's status does not allow this step.
    IllegalTransition,
    /// The PKCS #10 request is malformed or its signature does not verify.
    InvalidRequest,
    /// The proof of possession of the old key does not verify.
    ProofRejected,
    /// The old certificate was not issued by this CA.
    UnknownCertificate,
    /// This (order, attempt) was already issued for another request.
    RenewalConflict,
    /// Too many requests: wait for `Retry-After`.
    TooManyRequests,
    /// The order has no paid payment yet (renewal before payment).
    PaymentRequired,
    /// A payment for this order exists with another amount, or a reference
    /// was recorded before for another order or amount.
    AmountMismatch,
    /// The order is paid already (by another payment).
    AlreadyPaid,
    /// The payment expired before it was paid: ask for a new one.
    PaymentExpired,
    /// The SMS code is not the one sent (see `detail` for tries left).
    SmsCodeWrong,
    /// No valid SMS code: none sent, expired, used, or too many wrong tries.
    SmsCodeExpired,
    /// The CA cannot serve now: retry later.
    Unavailable,
    /// Register: an account with this USCC exists already.
    AccountExists,
    /// Sign in: no account with this USCC and password (which of the two
    /// is wrong is not said).
    SignInFailed,
    /// Too many failed sign-ins for this USCC: wait for `Retry-After`.
    AccountLocked,
    /// No session, or it ended (signed out, idle, too old): sign in again.
    SessionInvalid,
    /// Change password: the old password is not correct.
    PasswordWrong,
    /// No account has this USCC with this mobile number on file.
    AccountMismatch,
    /// The route needs a client certificate the connection did not
    /// present (a kiosk's device certificate).
    Unauthenticated,
    /// The caller may not do this: another kiosk's order.
    Forbidden,
    /// The certificate is outside the CA's renewal window (too early, or
    /// expired too long ago): a new application is needed.
    NotRenewable,
    /// The route exists with other methods (see `Allow`).
    MethodNotAllowed,
    /// The body is not in a media type the route takes (JSON; raw bytes
    /// for uploads).
    UnsupportedMediaType,
    /// A staff call's id was used before on this kiosk for another screen.
    StaffCallConflict,
    /// An audit entry that does not continue the chain the CA holds for
    /// this kiosk (another entry at its place, a link that does not follow,
    /// or a gap): the kiosk's log was changed or cut; the CA keeps what it
    /// had and records the conflict for staff.
    AuditConflict,
    /// A payment or an order cancel signed by a member of staff: the CA has
    /// no staff CA, or does not accept the staff certificate (not its staff
    /// CA's, expired, revoked, no staff role) or the signature (not over
    /// this statement, or not made at about now). Signing it again will not help; the detail
    /// says which check failed, naming no one.
    StaffNotAccepted,
    /// The order was cancelled (已取消): it is not paid any more, by no
    /// means; a new order is needed.
    OrderCancelled,
}

impl ProblemCode {
    /// The HTTP status that carries this code.
    #[must_use]
    pub fn status(self) -> u16 {
        match self {
            Self::MalformedBody | Self::IdempotencyKeyMissing => 400,
            Self::SignInFailed | Self::SessionInvalid | Self::Unauthenticated => 401,
            Self::PasswordWrong | Self::Forbidden | Self::StaffNotAccepted => 403,
            Self::PaymentRequired => 402,
            Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::RequestInFlight
            | Self::OffsetMismatch
            | Self::AttachmentsIncomplete
            | Self::IllegalTransition
            | Self::AlreadyPaid
            | Self::PaymentExpired
            | Self::AccountExists
            | Self::StaffCallConflict
            | Self::AuditConflict => 409,
            Self::AttachmentTooLarge => 413,
            Self::UnsupportedMediaType => 415,
            Self::InvalidField
            | Self::IdempotencyKeyReused
            | Self::NumberMismatch
            | Self::NumberTaken
            | Self::UnknownProject
            | Self::DigestMismatch
            | Self::InvalidRequest
            | Self::ProofRejected
            | Self::UnknownCertificate
            | Self::RenewalConflict
            | Self::AmountMismatch
            | Self::SmsCodeWrong
            | Self::SmsCodeExpired
            | Self::AccountMismatch
            | Self::NotRenewable
            | Self::OrderCancelled => 422,
            Self::TooManyRequests | Self::AccountLocked => 429,
            Self::Unavailable => 503,
        }
    }

    /// Whether the same request may succeed later (by itself, or once a
    /// technician fixed the kiosk's certificate): the kiosk keeps the order
    /// and retries these, and sets the others aside.
    #[must_use]
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            Self::RequestInFlight
                | Self::OffsetMismatch
                | Self::AttachmentsIncomplete
                | Self::DigestMismatch
                | Self::TooManyRequests
                | Self::Unavailable
                // The kiosk's certificate does not match its configuration:
                // a technician's fix, and the orders wait for it.
                | Self::Unauthenticated
                | Self::Forbidden
        )
    }

    /// The stable spelling, e.g. `idempotency_key_reused`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MalformedBody => "malformed_body",
            Self::InvalidField => "invalid_field",
            Self::IdempotencyKeyMissing => "idempotency_key_missing",
            Self::IdempotencyKeyReused => "idempotency_key_reused",
            Self::RequestInFlight => "request_in_flight",
            Self::NumberMismatch => "number_mismatch",
            Self::NumberTaken => "number_taken",
            Self::NotFound => "not_found",
            Self::UnknownProject => "unknown_project",
            Self::OffsetMismatch => "offset_mismatch",
            Self::AttachmentTooLarge => "attachment_too_large",
            Self::DigestMismatch => "digest_mismatch",
            Self::AttachmentsIncomplete => "attachments_incomplete",
            Self::IllegalTransition => "illegal_transition",
            Self::InvalidRequest => "invalid_request",
            Self::ProofRejected => "proof_rejected",
            Self::UnknownCertificate => "unknown_certificate",
            Self::RenewalConflict => "renewal_conflict",
            Self::TooManyRequests => "too_many_requests",
            Self::PaymentRequired => "payment_required",
            Self::AmountMismatch => "amount_mismatch",
            Self::AlreadyPaid => "already_paid",
            Self::PaymentExpired => "payment_expired",
            Self::SmsCodeWrong => "sms_code_wrong",
            Self::SmsCodeExpired => "sms_code_expired",
            Self::Unavailable => "unavailable",
            Self::AccountExists => "account_exists",
            Self::SignInFailed => "sign_in_failed",
            Self::AccountLocked => "account_locked",
            Self::SessionInvalid => "session_invalid",
            Self::PasswordWrong => "password_wrong",
            Self::AccountMismatch => "account_mismatch",
            Self::Unauthenticated => "unauthenticated",
            Self::Forbidden => "forbidden",
            Self::NotRenewable => "not_renewable",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::StaffCallConflict => "staff_call_conflict",
            Self::AuditConflict => "audit_conflict",
            Self::StaffNotAccepted => "staff_not_accepted",
            Self::OrderCancelled => "order_cancelled",
        }
    }

    /// Every code, for documentation and tests.
    pub const ALL: [ProblemCode; 41] = [
        Self::MalformedBody,
        Self::InvalidField,
        Self::IdempotencyKeyMissing,
        Self::IdempotencyKeyReused,
        Self::RequestInFlight,
        Self::NumberMismatch,
        Self::NumberTaken,
        Self::NotFound,
        Self::UnknownProject,
        Self::OffsetMismatch,
        Self::AttachmentTooLarge,
        Self::DigestMismatch,
        Self::AttachmentsIncomplete,
        Self::IllegalTransition,
        Self::InvalidRequest,
        Self::ProofRejected,
        Self::UnknownCertificate,
        Self::RenewalConflict,
        Self::TooManyRequests,
        Self::Unavailable,
        Self::PaymentRequired,
        Self::AmountMismatch,
        Self::AlreadyPaid,
        Self::PaymentExpired,
        Self::SmsCodeWrong,
        Self::SmsCodeExpired,
        Self::AccountExists,
        Self::SignInFailed,
        Self::AccountLocked,
        Self::SessionInvalid,
        Self::PasswordWrong,
        Self::AccountMismatch,
        Self::Unauthenticated,
        Self::Forbidden,
        Self::NotRenewable,
        Self::MethodNotAllowed,
        Self::UnsupportedMediaType,
        Self::StaffCallConflict,
        Self::AuditConflict,
        Self::StaffNotAccepted,
        Self::OrderCancelled,
    ];
}

impl Localized for ProblemCode {
    fn message(&self, lang: Lang) -> String {
        let (zh, en) = match self {
            Self::MalformedBody
            | Self::MethodNotAllowed
            | Self::UnsupportedMediaType
            | Self::IdempotencyKeyMissing
            | Self::NumberMismatch
            | Self::OffsetMismatch
            | Self::AttachmentsIncomplete => (
                "数据传输出现问题，系统会自动重试",
                "There was a problem sending the data. The kiosk will try again by itself.",
            ),
            Self::InvalidField => (
                "填写的信息有误，请核对后重新提交",
                "Some of the information is not valid. Please check it and submit again.",
            ),
            Self::IdempotencyKeyReused | Self::NumberTaken => (
                "订单与CA已有记录不一致，请联系工作人员",
                "This order does not match what the CA already holds. Please ask staff.",
            ),
            Self::RequestInFlight | Self::TooManyRequests | Self::Unavailable => (
                "CA系统繁忙，订单已保存，稍后会自动上传",
                "The CA is busy. Your order is saved and will be sent shortly.",
            ),
            Self::NotFound => (
                "未找到该订单，请联系工作人员",
                "The order was not found. Please ask staff.",
            ),
            Self::UnknownProject => (
                "CA暂不受理该证书用途，请联系工作人员",
                "The CA does not offer this certificate project. Please ask staff.",
            ),
            Self::AttachmentTooLarge => (
                "附件超过大小限制，请重新拍摄",
                "An attachment is too large. Please capture it again.",
            ),
            Self::DigestMismatch => (
                "附件传输校验失败，系统会自动重传",
                "An attachment was damaged on the way. The kiosk will send it again.",
            ),
            Self::IllegalTransition => (
                "订单当前状态不允许此操作",
                "The order's status does not allow this step.",
            ),
            Self::InvalidRequest | Self::ProofRejected | Self::UnknownCertificate => (
                "证书更新请求未通过校验，请联系工作人员",
                "The renewal request could not be verified. Please ask staff.",
            ),
            Self::RenewalConflict => (
                "该证书更新已办理，请联系工作人员",
                "This renewal was already issued. Please ask staff.",
            ),
            Self::PaymentRequired => (
                "订单尚未支付，请先完成支付",
                "The order has not been paid yet. Please pay first.",
            ),
            Self::AmountMismatch => (
                "支付金额与订单不一致，请联系工作人员",
                "The amount does not match the order. Please ask staff.",
            ),
            Self::AlreadyPaid => (
                "该订单已支付，无需再次付款",
                "This order is already paid. There is nothing more to pay.",
            ),
            Self::PaymentExpired => (
                "支付已超时，请重新发起支付",
                "The payment has expired. Please start the payment again.",
            ),
            Self::SmsCodeWrong => (
                "验证码不正确，请重新输入",
                "The code is not correct. Please enter it again.",
            ),
            Self::SmsCodeExpired => (
                "验证码已失效，请重新获取",
                "The code is no longer valid. Please request a new one.",
            ),
            Self::AccountExists => (
                "该统一社会信用代码已注册，请直接登录或找回密码",
                "This unified social credit code is registered already. Please sign in or reset the password.",
            ),
            Self::SignInFailed => (
                "统一社会信用代码或密码不正确",
                "The unified social credit code or the password is not correct.",
            ),
            Self::AccountLocked => (
                "密码错误次数过多，账户已暂时锁定，请稍后再试",
                "Too many wrong passwords. The account is locked for a while; please try again later.",
            ),
            Self::SessionInvalid => (
                "登录已失效，请重新登录",
                "You have been signed out. Please sign in again.",
            ),
            Self::PasswordWrong => (
                "原密码不正确，请重新输入",
                "The current password is not correct. Please enter it again.",
            ),
            Self::AccountMismatch => (
                "统一社会信用代码与预留手机号不匹配，请核对或联系工作人员",
                "The unified social credit code and the mobile number on file do not match. Please check them or ask staff.",
            ),
            Self::NotRenewable => (
                "该证书不在可更新期限内，无法在线更新，请到柜台办理",
                "This certificate cannot be renewed now. Please ask at the counter.",
            ),
            Self::Unauthenticated | Self::Forbidden => (
                "本终端暂时无法办理该业务，请联系工作人员",
                "This kiosk cannot do this at the moment. Please ask staff.",
            ),
            Self::StaffCallConflict => (
                "呼叫未能送达工作人员，请到服务台咨询",
                "The call did not reach the staff. Please go to the service counter.",
            ),
            Self::AuditConflict => (
                "本终端的操作记录与中心不一致，请联系技术人员",
                "This kiosk's audit log does not match the CA's copy. Please call a technician.",
            ),
            Self::StaffNotAccepted => (
                "CA未接受工作人员的证书或签名，操作未执行，请联系管理员",
                "The CA did not accept the staff certificate or signature. Nothing was done; please ask the administrator.",
            ),
            Self::OrderCancelled => (
                "该订单已取消，不能再付款，请重新下单",
                "This order is cancelled and can no longer be paid. Please place a new order.",
            ),
        };
        match lang {
            Lang::ZhCn => zh.to_owned(),
            Lang::En => en.to_owned(),
        }
    }
}

/// A problem+json document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// `urn:kiosk-ca:problem:<code>`.
    #[serde(rename = "type")]
    pub type_uri: String,
    /// A short English summary (for logs).
    pub title: String,
    pub status: u16,
    pub code: ProblemCode,
    /// Technical detail in English, free of personal data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// With `invalid_field`: the field's path, e.g. `unit.uscc`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For the customer, in Simplified Chinese.
    #[serde(rename = "message_zh_cn")]
    pub message_zh_cn: String,
    /// For the customer, in English.
    pub message_en: String,
}

impl Problem {
    /// The problem of `code` with its standard messages.
    #[must_use]
    pub fn new(code: ProblemCode) -> Self {
        Self {
            type_uri: format!("urn:kiosk-ca:problem:{}", code.as_str()),
            title: code.as_str().replace('_', " "),
            status: code.status(),
            code,
            detail: None,
            field: None,
            message_zh_cn: code.message(Lang::ZhCn),
            message_en: code.message(Lang::En),
        }
    }

    #[must_use]
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// An `invalid_field` problem whose messages are the domain's own.
    #[must_use]
    pub fn invalid_field(field: &str, error: &dyn Localized) -> Self {
        let mut problem = Self::new(ProblemCode::InvalidField);
        problem.field = Some(field.to_owned());
        problem.message_zh_cn = error.message(Lang::ZhCn);
        problem.message_en = error.message(Lang::En);
        problem.detail = Some(format!("{field} is not valid"));
        problem
    }

    /// The customer's message in `lang`.
    #[must_use]
    pub fn message(&self, lang: Lang) -> &str {
        match lang {
            Lang::ZhCn => &self.message_zh_cn,
            Lang::En => &self.message_en,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_and_serde_agrees() {
        for code in ProblemCode::ALL {
            let json = serde_json::to_string(&code).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert!((400..600).contains(&code.status()));
            assert!(!code.message(Lang::ZhCn).is_empty());
            assert!(!code.message(Lang::En).is_empty());
        }
    }

    #[test]
    fn problem_round_trips() {
        let p = Problem::new(ProblemCode::IdempotencyKeyReused).with_detail("x");
        let json = serde_json::to_string(&p).unwrap_or_default();
        assert!(json.contains("\"type\":\"urn:kiosk-ca:problem:idempotency_key_reused\""));
        let back: Problem =
            serde_json::from_str(&json).unwrap_or_else(|_| Problem::new(ProblemCode::Unavailable));
        assert_eq!(back, p);
    }
}
