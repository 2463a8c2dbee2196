//! The SMS gateway simulator: codes sent (rate-limited per mobile), checked
//! with a limited number of tries, and the messages listed for tests and
//! the back office. Logs never carry the mobile number or the code.

use super::JsonBody;
use super::payments::rfc3339;
use super::{ApiError, ApiResult, json_body, now};
use crate::Service;
use crate::storage::{NewSmsCode, SendOutcome, StorageError, UnitCap, VerifyOutcome};
use axum::Json;
use axum::extract::State;
use kiosk_domain::ids::Uscc;
use kiosk_sync_wire::problem::ProblemCode;
use kiosk_sync_wire::sms::{
    SmsCodeRequestV1, SmsCodeSentV1, SmsMessageV1, SmsVerifiedV1, SmsVerifyV1,
};

fn duration(d: std::time::Duration) -> ApiResult<time::Duration> {
    time::Duration::try_from(d).map_err(|_| StorageError::Corrupt("sms settings".to_owned()).into())
}

/// `POST /v1/sms/codes`.
pub(crate) async fn send(
    State(service): State<Service>,
    body: Result<JsonBody<SmsCodeRequestV1>, ApiError>,
) -> ApiResult<Json<SmsCodeSentV1>> {
    let request = json_body(body)?;
    let (mobile, purpose, uscc) = request.validate()?;
    let options = service.options();
    // A unit's code to a mobile other than the one on file (or for a unit
    // with no account yet) counts against the unit's cap; the mobile on
    // file only against its own.
    let other_mobile = match &uscc {
        Some(uscc) => service
            .storage()
            .account(uscc.as_str())?
            .is_none_or(|a| a.mobile != mobile.as_str()),
        None => false,
    };
    let unit_cap = if other_mobile {
        Some(UnitCap {
            max: options.sms_unit_cap,
            window: duration(options.sms_unit_window)?,
        })
    } else {
        None
    };
    let code = crate::random::six_digits()?;
    let text = format!("【CA自助服务】您的验证码为{code}，5分钟内有效。请勿告知他人。");
    let at = now();
    let expires_at = at + duration(options.sms_ttl)?;
    let outcome = service.storage().send_sms_code(&NewSmsCode {
        mobile: mobile.as_str(),
        purpose,
        code: &code,
        text: &text,
        now: at,
        expires_at,
        tries: options.sms_tries,
        min_interval: duration(options.sms_interval)?,
        daily_cap: options.sms_daily_cap,
        uscc: uscc.as_ref().map(Uscc::as_str),
        unit_cap,
    })?;
    match outcome {
        SendOutcome::Sent => {
            tracing::info!(purpose, "SMS code sent (simulator)");
            Ok(Json(SmsCodeSentV1 {
                expires_at: rfc3339(expires_at)?,
                resend_after_secs: u32::try_from(options.sms_interval.as_secs())
                    .unwrap_or(u32::MAX),
            }))
        }
        SendOutcome::TooSoon { wait_secs } => Err(ApiError::detail(
            ProblemCode::TooManyRequests,
            "a code was sent to this mobile a moment ago",
        )
        .retry_after(wait_secs)),
        SendOutcome::DailyCapReached { wait_secs } => Err(ApiError::detail(
            ProblemCode::TooManyRequests,
            "this mobile had all the codes it may have in a day",
        )
        .retry_after(wait_secs)),
        SendOutcome::UnitCapReached { wait_secs } => {
            tracing::warn!(
                purpose,
                "SMS code refused: the unit's cap for other mobiles"
            );
            Err(ApiError::detail(
                ProblemCode::TooManyRequests,
                "this unit had all the codes to other mobiles it may have for now",
            )
            .retry_after(wait_secs))
        }
    }
}

/// `POST /v1/sms/verify`.
pub(crate) async fn verify(
    State(service): State<Service>,
    body: Result<JsonBody<SmsVerifyV1>, ApiError>,
) -> ApiResult<Json<SmsVerifiedV1>> {
    let request = json_body(body)?;
    let (mobile, purpose, uscc, code) = request.validate()?;
    match service.storage().verify_sms_code(
        mobile.as_str(),
        purpose,
        uscc.as_ref().map(Uscc::as_str),
        code,
        now(),
    )? {
        VerifyOutcome::Verified => Ok(Json(SmsVerifiedV1 { verified: true })),
        VerifyOutcome::Wrong { tries_left } => Err(ApiError::detail(
            ProblemCode::SmsCodeWrong,
            &format!("{tries_left} tries left"),
        )),
        VerifyOutcome::NoValidCode => Err(ApiError::new(ProblemCode::SmsCodeExpired)),
    }
}

/// `GET /v1/admin/sms`: the latest messages, newest first.
pub(crate) async fn messages(State(service): State<Service>) -> ApiResult<Json<Vec<SmsMessageV1>>> {
    super::demo_only(&service)?;
    let stored = service.storage().sms_messages(200)?;
    let mut out = Vec::with_capacity(stored.len());
    for m in stored {
        out.push(SmsMessageV1 {
            mobile: m.mobile,
            purpose: m.purpose,
            text: m.text,
            sent_at: rfc3339(m.sent_at)?,
        });
    }
    Ok(Json(out))
}
