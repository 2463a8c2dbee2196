//! Enterprise accounts (spec §3.4): register, sign in and out, forgot
//! password, change password and mobile, the unit's information. Logs say
//! what happened, never the USCC, the mobile, a password or a token.
//!
//! A session is 256 random bits handed to the kiosk once; the CA keeps only
//! their SHA-256. Failed sign-ins are counted per USCC typed (registered or
//! not) and lock it out for a while, so a kiosk in a public hall cannot be
//! used to guess passwords.

use super::JsonBody;
use super::accounts_hash::{self, HashCost};
use super::accounts_review;
use super::payments::rfc3339;
use super::{ApiError, ApiResult, json_body, now};
use crate::Service;
use crate::access::Caller;
use crate::storage::{
    AttemptOutcome, Lockout, RegisterOutcome, SessionLimits, StorageError, StoredAccount,
    VerifyOutcome,
};
use axum::Json;
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use kiosk_domain::ids::Uscc;
use kiosk_sync_wire::account::{
    AccountV1, ChangeMobileV1, ChangePasswordV1, RegisterV1, ResetPasswordV1, SessionV1, SignInV1,
};
use kiosk_sync_wire::hex;
use kiosk_sync_wire::paths;
use kiosk_sync_wire::problem::ProblemCode;
use sha2::{Digest, Sha256};
use std::time::Duration;

/// The accounts' settings.
#[derive(Debug, Clone, Copy)]
pub struct AccountOptions {
    /// A session ends after this long without a call.
    pub session_idle: Duration,
    /// And this long after sign in at the latest.
    pub session_lifetime: Duration,
    /// Failed sign-ins per USCC within `lockout_window` before it is locked.
    pub lockout_failures: u32,
    pub lockout_window: Duration,
    /// The cost of new password hashes.
    pub hash_cost: HashCost,
    /// Password hashes begun in any minute, at most, over the whole
    /// service (besides at most 4 at once): a flood of sign-ins from many
    /// kiosks cannot take the CA's processors.
    pub hashes_per_minute: u32,
    /// Of which one caller (a kiosk, by its code) begins at most this many:
    /// one kiosk's flood cannot spend the others' minute.
    pub hashes_per_caller_minute: u32,
    /// Photographs for mobile review requests one kiosk may hold that no
    /// request names yet (429 `too_many_requests` beyond).
    pub review_captures_per_kiosk: u32,
    /// A photograph no request names is removed this long after its upload.
    pub review_capture_ttl: Duration,
}

impl Default for AccountOptions {
    fn default() -> Self {
        Self {
            session_idle: Duration::from_secs(30 * 60),
            session_lifetime: Duration::from_secs(8 * 60 * 60),
            lockout_failures: 5,
            lockout_window: Duration::from_secs(15 * 60),
            hash_cost: HashCost::default(),
            hashes_per_minute: 600,
            hashes_per_caller_minute: 120,
            review_captures_per_kiosk: 20,
            review_capture_ttl: Duration::from_secs(24 * 60 * 60),
        }
    }
}

/// The account routes (the review requests' are in [`accounts_review`]).
pub(crate) fn routes() -> axum::Router<Service> {
    axum::Router::new()
        .route(paths::ACCOUNTS, post(register))
        .route(paths::SESSION, post(sign_in).delete(sign_out))
        .route(paths::PASSWORD_RESET, post(reset_password))
        .route(paths::ME, get(unit_info))
        .route(paths::MY_PASSWORD, post(change_password))
        .route(paths::MY_MOBILE, post(change_mobile))
        .route(paths::MOBILE_REVIEWS, post(accounts_review::request))
        .route(
            "/v1/accounts/mobile-reviews/captures/{sha256}",
            put(accounts_review::put_capture),
        )
        .route(
            "/admin/mobile-reviews/{id}/captures/licence",
            get(accounts_review::licence_capture),
        )
        .route(
            "/admin/mobile-reviews/{id}/captures/id",
            get(accounts_review::id_capture),
        )
        .route(paths::ADMIN_MOBILE_REVIEWS, get(accounts_review::list))
        .route(
            "/admin/mobile-reviews/{id}/approve",
            post(accounts_review::approve),
        )
        .route(
            "/admin/mobile-reviews/{id}/reject",
            post(accounts_review::reject),
        )
}

pub(super) fn duration(d: Duration) -> ApiResult<time::Duration> {
    time::Duration::try_from(d)
        .map_err(|_| StorageError::Corrupt("account settings".to_owned()).into())
}

fn options(service: &Service) -> AccountOptions {
    service.options().accounts
}

fn limits(service: &Service) -> ApiResult<SessionLimits> {
    let o = options(service);
    Ok(SessionLimits {
        idle: duration(o.session_idle)?,
        lifetime: duration(o.session_lifetime)?,
    })
}

/// Checks (and uses up) the SMS code sent to `mobile` for `purpose` (for
/// a unit's purpose, sent for that `uscc`).
pub(super) fn check_sms_code(
    service: &Service,
    mobile: &str,
    purpose: &str,
    uscc: Option<&str>,
    code: &str,
) -> ApiResult<()> {
    match service
        .storage()
        .verify_sms_code(mobile, purpose, uscc, code, now())?
    {
        VerifyOutcome::Verified => Ok(()),
        VerifyOutcome::Wrong { tries_left } => Err(ApiError::detail(
            ProblemCode::SmsCodeWrong,
            &format!("{tries_left} tries left"),
        )),
        VerifyOutcome::NoValidCode => Err(ApiError::new(ProblemCode::SmsCodeExpired)),
    }
}

pub(super) fn account_v1(a: &StoredAccount) -> ApiResult<AccountV1> {
    Ok(AccountV1 {
        unit_name: a.unit_name.clone(),
        uscc: a.uscc.clone(),
        mobile: a.mobile.clone(),
        registered_at: rfc3339(a.registered_at)?,
    })
}

fn token_sha256(token: &str) -> String {
    hex::encode(&Sha256::digest(token.as_bytes()))
}

/// The signed-in USCC and the SHA-256 of the session's token, from
/// `Authorization: Bearer <token>`; the session's idle time starts again.
fn signed_in(service: &Service, request_headers: &HeaderMap) -> ApiResult<(Uscc, String)> {
    let token = bearer(request_headers)?;
    let sha = token_sha256(token);
    let uscc = service
        .storage()
        .touch_session(&sha, now(), limits(service)?)?
        .ok_or_else(|| ApiError::new(ProblemCode::SessionInvalid))?;
    let uscc = uscc
        .parse::<Uscc>()
        .map_err(|_| StorageError::Corrupt("a session's USCC".to_owned()))?;
    Ok((uscc, sha))
}

/// The token of a well-formed `Authorization: Bearer` header.
fn bearer(request_headers: &HeaderMap) -> ApiResult<&str> {
    request_headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| t.len() == 64 && t.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')))
        .ok_or_else(|| ApiError::new(ProblemCode::SessionInvalid))
}

/// Counts an attempt at a password of `uscc`, or refuses while locked out.
fn attempt(service: &Service, uscc: &Uscc) -> ApiResult<()> {
    let o = options(service);
    let rule = Lockout {
        max_failures: o.lockout_failures,
        window: duration(o.lockout_window)?,
    };
    let at = now();
    match service.storage().begin_attempt(uscc.as_str(), at, rule)? {
        AttemptOutcome::Go => Ok(()),
        AttemptOutcome::Locked { until } => {
            tracing::warn!("sign-in refused: locked out");
            let secs = (until - at).whole_seconds().max(1);
            Err(ApiError::new(ProblemCode::AccountLocked)
                .retry_after(u32::try_from(secs).unwrap_or(u32::MAX)))
        }
    }
}

/// `POST /v1/accounts`: register.
async fn register(
    State(service): State<Service>,
    Extension(caller): Extension<Caller>,
    body: Result<JsonBody<RegisterV1>, ApiError>,
) -> ApiResult<Response> {
    let request = json_body(body)?;
    let valid = request.validate()?;
    // Before the code is used up: a second registration is told plainly.
    if service.storage().account(valid.uscc.as_str())?.is_some() {
        return Err(ApiError::new(ProblemCode::AccountExists));
    }
    // A slot to hash in before the code is used up.
    let slot = service.inner.hashing.permit(&caller.label())?;
    check_sms_code(
        &service,
        valid.mobile.as_str(),
        "register",
        Some(valid.uscc.as_str()),
        valid.sms_code,
    )?;
    let password_hash = accounts_hash::hash(
        slot,
        request.password.expose().to_owned(),
        options(&service).hash_cost,
    )
    .await?;
    let account = StoredAccount {
        uscc: valid.uscc.as_str().to_owned(),
        unit_name: valid.unit_name.as_str().to_owned(),
        mobile: valid.mobile.as_str().to_owned(),
        password_hash,
        registered_at: now(),
    };
    match service.storage().create_account(&account)? {
        RegisterOutcome::Created(account) => {
            tracing::info!("account registered");
            Ok((StatusCode::CREATED, Json(account_v1(&account)?)).into_response())
        }
        RegisterOutcome::UsccTaken => Err(ApiError::new(ProblemCode::AccountExists)),
    }
}

/// `POST /v1/accounts/session`: sign in.
async fn sign_in(
    State(service): State<Service>,
    Extension(caller): Extension<Caller>,
    body: Result<JsonBody<SignInV1>, ApiError>,
) -> ApiResult<Json<SessionV1>> {
    let request = json_body(body)?;
    let uscc = request.validate()?;
    // A slot to hash in before the attempt is counted.
    let slot = service.inner.hashing.permit(&caller.label())?;
    attempt(&service, &uscc)?;
    let o = options(&service);
    let account = service.storage().account(uscc.as_str())?;
    let right = accounts_hash::verify(
        slot,
        request.password.expose().to_owned(),
        account.map(|a| a.password_hash),
        o.hash_cost,
    )
    .await;
    if !right {
        tracing::info!("sign-in refused: wrong USCC or password");
        return Err(ApiError::new(ProblemCode::SignInFailed));
    }
    service.storage().clear_failures(uscc.as_str())?;
    let token = crate::random::hex(32)?;
    let at = now();
    service.storage().create_session(
        &token_sha256(&token),
        uscc.as_str(),
        at,
        limits(&service)?,
    )?;
    tracing::info!("signed in");
    Ok(Json(SessionV1 {
        token,
        idle_timeout_secs: u32::try_from(o.session_idle.as_secs()).unwrap_or(u32::MAX),
        expires_at: rfc3339(at + duration(o.session_lifetime)?)?,
    }))
}

/// `DELETE /v1/accounts/session`: sign out. Idempotent: a session that
/// ended already is signed out too.
async fn sign_out(
    State(service): State<Service>,
    request_headers: HeaderMap,
) -> ApiResult<StatusCode> {
    let token = bearer(&request_headers)?;
    if service.storage().delete_session(&token_sha256(token))? {
        tracing::info!("signed out");
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1/accounts/password-reset`: forgot password. The code proves
/// the customer holds the mobile before the CA says whether it is the one
/// on file; the new password is the customer's own.
async fn reset_password(
    State(service): State<Service>,
    Extension(caller): Extension<Caller>,
    body: Result<JsonBody<ResetPasswordV1>, ApiError>,
) -> ApiResult<StatusCode> {
    let request = json_body(body)?;
    let (uscc, mobile, code) = request.validate()?;
    let slot = service.inner.hashing.permit(&caller.label())?;
    check_sms_code(
        &service,
        mobile.as_str(),
        "reset_password",
        Some(uscc.as_str()),
        code,
    )?;
    let on_file = service.storage().account(uscc.as_str())?;
    if on_file.is_none_or(|a| a.mobile != mobile.as_str()) {
        return Err(ApiError::new(ProblemCode::AccountMismatch));
    }
    let password_hash = accounts_hash::hash(
        slot,
        request.new_password.expose().to_owned(),
        options(&service).hash_cost,
    )
    .await?;
    // Every session ends and the lockout is lifted.
    service
        .storage()
        .set_password(uscc.as_str(), &password_hash, None)?;
    tracing::info!("password reset by SMS");
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1/accounts/me/password`: change password (signed in).
async fn change_password(
    State(service): State<Service>,
    Extension(caller): Extension<Caller>,
    request_headers: HeaderMap,
    body: Result<JsonBody<ChangePasswordV1>, ApiError>,
) -> ApiResult<StatusCode> {
    let (uscc, session) = signed_in(&service, &request_headers)?;
    let request = json_body(body)?;
    request.validate(&uscc)?;
    // Slots for the check and the new hash, before the attempt counts.
    let (check, new) = (
        service.inner.hashing.permit(&caller.label())?,
        service.inner.hashing.permit(&caller.label())?,
    );
    // A session left open must not become a way to guess the password.
    attempt(&service, &uscc)?;
    let o = options(&service);
    let account = service.storage().account(uscc.as_str())?;
    let right = accounts_hash::verify(
        check,
        request.old_password.expose().to_owned(),
        account.map(|a| a.password_hash),
        o.hash_cost,
    )
    .await;
    if !right {
        tracing::info!("password change refused: wrong old password");
        return Err(ApiError::new(ProblemCode::PasswordWrong));
    }
    let password_hash =
        accounts_hash::hash(new, request.new_password.expose().to_owned(), o.hash_cost).await?;
    // Other sessions end; this one goes on.
    service
        .storage()
        .set_password(uscc.as_str(), &password_hash, Some(&session))?;
    tracing::info!("password changed");
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1/accounts/me/mobile`: change mobile (signed in), with a code
/// sent to the new number.
async fn change_mobile(
    State(service): State<Service>,
    request_headers: HeaderMap,
    body: Result<JsonBody<ChangeMobileV1>, ApiError>,
) -> ApiResult<Json<AccountV1>> {
    let (uscc, _) = signed_in(&service, &request_headers)?;
    let request = json_body(body)?;
    let (mobile, code) = request.validate()?;
    check_sms_code(&service, mobile.as_str(), "change_mobile", None, code)?;
    let account = service
        .storage()
        .set_mobile(uscc.as_str(), mobile.as_str())?
        .ok_or_else(|| ApiError::new(ProblemCode::SessionInvalid))?;
    tracing::info!("mobile changed");
    Ok(Json(account_v1(&account)?))
}

/// `GET /v1/accounts/me`: the unit's information (signed in).
async fn unit_info(
    State(service): State<Service>,
    request_headers: HeaderMap,
) -> ApiResult<Json<AccountV1>> {
    let (uscc, _) = signed_in(&service, &request_headers)?;
    let account = service
        .storage()
        .account(uscc.as_str())?
        .ok_or_else(|| ApiError::new(ProblemCode::SessionInvalid))?;
    Ok(Json(account_v1(&account)?))
}
