//! Enterprise accounts (spec §3.4), online only: register, sign in and out,
//! forgot password, change password and mobile, the review of a new mobile
//! when the old one is lost, the unit's information.
//!
//! Each call checks its input with the wire's rules (the password rules are
//! the CA's own function) before anything is sent; a refusal then is the
//! same `invalid_field` problem the CA would answer, so the screens handle
//! both alike. Passwords and tokens are never logged.

use crate::http::{CaClient, CallError};
use kiosk_sync_wire::account::{
    AccountV1, ChangeMobileV1, ChangePasswordV1, MobileReviewRequestV1, MobileReviewV1, Password,
    RegisterV1, ResetPasswordV1, SessionV1, SignInV1, check_new_password,
};
use kiosk_sync_wire::paths;
use kiosk_sync_wire::problem::Problem;
use kiosk_sync_wire::sms::{SmsCodeRequestV1, SmsCodeSentV1};

/// A refusal of the kiosk's own check, shaped like the CA's.
fn refused(problem: Box<Problem>) -> CallError {
    CallError::Status {
        status: problem.status,
        problem: Some(problem),
        retry_after: None,
        offset: None,
    }
}

/// A token that is safe to put in a header (the CA's are 64 hex digits).
fn bearer(t: &str) -> Result<String, CallError> {
    if t.is_empty() || !t.bytes().all(|c| c.is_ascii_alphanumeric()) {
        return Err(CallError::Invalid("not a session token".to_owned()));
    }
    Ok(format!("Bearer {t}"))
}

impl CaClient {
    /// An answer without a body (204): only its status counts.
    async fn no_content(
        response: Result<reqwest::Response, reqwest::Error>,
    ) -> Result<(), CallError> {
        match response {
            Ok(r) if r.status().is_success() => Ok(()),
            other => Self::answer::<serde_json::Value>(other).await.map(|_| ()),
        }
    }

    /// `POST /v1/sms/codes`: sends a 6-digit code to `mobile` for
    /// `purpose`. Too soon after the last one: `too_many_requests` (429,
    /// with `retry_after`).
    ///
    /// # Errors
    /// The input breaks a rule, the CA could not be reached, or refused.
    pub async fn send_sms_code(
        &self,
        request: &SmsCodeRequestV1,
    ) -> Result<SmsCodeSentV1, CallError> {
        request.validate().map_err(refused)?;
        let response = self
            .http
            .post(self.url(paths::SMS_CODES))
            .json(request)
            .send()
            .await;
        Ok(Self::answer(response).await?.1)
    }

    /// `POST /v1/accounts`: registers the unit. `password_again` is the
    /// second entry of the password, checked here (the CA gets one).
    /// Refusals: `invalid_field`, `account_exists` (409),
    /// `sms_code_wrong` / `sms_code_expired`.
    ///
    /// # Errors
    /// The input breaks a rule, the CA could not be reached, or refused.
    pub async fn register(
        &self,
        request: &RegisterV1,
        password_again: &Password,
    ) -> Result<AccountV1, CallError> {
        check_new_password(
            request.password.expose(),
            password_again.expose(),
            &request.uscc,
        )
        .map_err(|e| refused(Box::new(Problem::invalid_field("password_again", &e))))?;
        request.validate().map_err(refused)?;
        let response = self
            .http
            .post(self.url(paths::ACCOUNTS))
            .json(request)
            .send()
            .await;
        Ok(Self::answer(response).await?.1)
    }

    /// `POST /v1/accounts/session`: signs in. A wrong USCC or password is
    /// `sign_in_failed` (401); too many failures `account_locked` (429,
    /// with `retry_after`).
    ///
    /// # Errors
    /// The input breaks a rule, the CA could not be reached, or refused.
    pub async fn sign_in(&self, uscc: &str, password: &Password) -> Result<SessionV1, CallError> {
        let request = SignInV1 {
            uscc: uscc.to_owned(),
            password: password.clone(),
        };
        request.validate().map_err(refused)?;
        let response = self
            .http
            .post(self.url(paths::SESSION))
            .json(&request)
            .send()
            .await;
        Ok(Self::answer(response).await?.1)
    }

    /// `DELETE /v1/accounts/session`: signs out (also a session that ended
    /// already).
    ///
    /// # Errors
    /// The CA could not be reached or refused.
    pub async fn sign_out(&self, token: &str) -> Result<(), CallError> {
        let response = self
            .http
            .delete(self.url(paths::SESSION))
            .header(reqwest::header::AUTHORIZATION, bearer(token)?)
            .send()
            .await;
        Self::no_content(response).await
    }

    /// `POST /v1/accounts/password-reset`: forgot password, with the code
    /// sent to the mobile on file (purpose `reset_password`). A USCC and
    /// mobile that do not match an account: `account_mismatch`.
    ///
    /// # Errors
    /// The input breaks a rule, the CA could not be reached, or refused.
    pub async fn reset_password(&self, request: &ResetPasswordV1) -> Result<(), CallError> {
        request.validate().map_err(refused)?;
        let response = self
            .http
            .post(self.url(paths::PASSWORD_RESET))
            .json(request)
            .send()
            .await;
        Self::no_content(response).await
    }

    /// `POST /v1/accounts/me/password`: a wrong old password is
    /// `password_wrong` (403); other sessions of the account end.
    ///
    /// # Errors
    /// The input breaks a rule, the session ended, the CA could not be
    /// reached, or refused.
    pub async fn change_password(
        &self,
        token: &str,
        uscc: &kiosk_domain::ids::Uscc,
        request: &ChangePasswordV1,
    ) -> Result<(), CallError> {
        request.validate(uscc).map_err(refused)?;
        let response = self
            .http
            .post(self.url(paths::MY_PASSWORD))
            .header(reqwest::header::AUTHORIZATION, bearer(token)?)
            .json(request)
            .send()
            .await;
        Self::no_content(response).await
    }

    /// `POST /v1/accounts/me/mobile`: with the code sent to the new number
    /// (purpose `change_mobile`); the unit's information after the change.
    ///
    /// # Errors
    /// The input breaks a rule, the session ended, the CA could not be
    /// reached, or refused.
    pub async fn change_mobile(
        &self,
        token: &str,
        request: &ChangeMobileV1,
    ) -> Result<AccountV1, CallError> {
        request.validate().map_err(refused)?;
        let response = self
            .http
            .post(self.url(paths::MY_MOBILE))
            .header(reqwest::header::AUTHORIZATION, bearer(token)?)
            .json(request)
            .send()
            .await;
        Ok(Self::answer(response).await?.1)
    }

    /// `POST /v1/accounts/mobile-reviews`: the old number is lost; the CA's
    /// staff decide from the captures. The request as the CA keeps it
    /// (`status` `pending`).
    ///
    /// # Errors
    /// The input breaks a rule, the CA could not be reached, or refused.
    pub async fn request_mobile_review(
        &self,
        request: &MobileReviewRequestV1,
    ) -> Result<MobileReviewV1, CallError> {
        request.validate().map_err(refused)?;
        let response = self
            .http
            .post(self.url(paths::MOBILE_REVIEWS))
            .json(request)
            .send()
            .await;
        Ok(Self::answer(response).await?.1)
    }

    /// `GET /v1/accounts/me`: the unit's information.
    ///
    /// # Errors
    /// The session ended (`session_invalid`), the CA could not be reached,
    /// or refused.
    pub async fn unit_info(&self, token: &str) -> Result<AccountV1, CallError> {
        let response = self
            .http
            .get(self.url(paths::ME))
            .header(reqwest::header::AUTHORIZATION, bearer(token)?)
            .send()
            .await;
        Ok(Self::answer(response).await?.1)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "test code")]
mod tests {
    use super::*;
    use kiosk_sync_wire::problem::ProblemCode;
    use std::time::Duration;

    const MOBILE: &str = "13800138000";
    const NEW_MOBILE: &str = "13900139000";

    async fn serve() -> crate::served::Served {
        let options = ca_service::Options {
            demo: true,
            sms_interval: Duration::ZERO,
            accounts: ca_service::AccountOptions {
                hash_cost: ca_service::HashCost {
                    memory_kib: 1024,
                    iterations: 1,
                },
                ..ca_service::AccountOptions::default()
            },
            ..ca_service::Options::default()
        };
        crate::served::serve(options).await
    }

    /// Sends a code through the CA's simulator and reads it back (from its
    /// outbox on the staff listener).
    async fn code(ca: &crate::served::Served, mobile: &str, purpose: &str) -> String {
        let http = reqwest::Client::new();
        let r = http
            .post(format!("{}{}", ca.url, paths::SMS_CODES))
            .json(&match purpose {
                // A unit's code names its unit.
                "register" | "reset_password" => serde_json::json!({
                    "mobile": mobile,
                    "purpose": purpose,
                    "uscc": kiosk_domain::fixtures::USCC,
                }),
                _ => serde_json::json!({"mobile": mobile, "purpose": purpose}),
            })
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
        let messages: Vec<serde_json::Value> = http
            .get(format!("{}/v1/admin/sms", ca.staff_url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let text = messages.iter().find(|m| m["mobile"] == mobile).unwrap()["text"]
            .as_str()
            .unwrap()
            .to_owned();
        text.chars().filter(char::is_ascii_digit).take(6).collect()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_account_through_the_client() {
        let ca = serve().await;
        let service = &ca.service;
        let client = CaClient::new(&ca.url, Duration::from_secs(10)).unwrap();
        let uscc = kiosk_domain::fixtures::USCC;
        let password = Password::new("first1234");
        let mut request = RegisterV1 {
            unit_name: "山西示例煤业有限公司".to_owned(),
            uscc: uscc.to_owned(),
            password: password.clone(),
            mobile: MOBILE.to_owned(),
            sms_code: "000000".to_owned(),
        };
        // Checked before sending: nothing reaches the CA.
        let e = client
            .register(&request, &Password::new("first1235"))
            .await
            .unwrap_err();
        assert_eq!(e.code(), Some(ProblemCode::InvalidField));
        let mut weak = request.clone();
        weak.password = Password::new("short1");
        let e = client
            .register(&weak, &Password::new("short1"))
            .await
            .unwrap_err();
        assert_eq!(e.code(), Some(ProblemCode::InvalidField));
        assert!(service.requests().is_empty());

        request.sms_code = code(&ca, MOBILE, "register").await;
        let account = client.register(&request, &password).await.unwrap();
        assert_eq!(
            (account.uscc.as_str(), account.mobile.as_str()),
            (uscc, MOBILE)
        );
        let e = client.register(&request, &password).await.unwrap_err();
        assert_eq!(e.code(), Some(ProblemCode::AccountExists));

        let e = client
            .sign_in(uscc, &Password::new("wrong1234"))
            .await
            .unwrap_err();
        assert_eq!(e.code(), Some(ProblemCode::SignInFailed));
        let session = client.sign_in(uscc, &password).await.unwrap();
        assert_eq!(client.unit_info(&session.token).await.unwrap(), account);

        let parsed: kiosk_domain::ids::Uscc = uscc.parse().unwrap();
        let second = Password::new("second1234");
        client
            .change_password(
                &session.token,
                &parsed,
                &ChangePasswordV1 {
                    old_password: password.clone(),
                    new_password: second.clone(),
                },
            )
            .await
            .unwrap();
        let changed = client
            .change_mobile(
                &session.token,
                &ChangeMobileV1 {
                    new_mobile: NEW_MOBILE.to_owned(),
                    sms_code: code(&ca, NEW_MOBILE, "change_mobile").await,
                },
            )
            .await
            .unwrap();
        assert_eq!(changed.mobile, NEW_MOBILE);

        client.sign_out(&session.token).await.unwrap();
        let e = client.unit_info(&session.token).await.unwrap_err();
        assert_eq!(e.code(), Some(ProblemCode::SessionInvalid));

        client
            .reset_password(&ResetPasswordV1 {
                uscc: uscc.to_owned(),
                mobile: NEW_MOBILE.to_owned(),
                sms_code: code(&ca, NEW_MOBILE, "reset_password").await,
                new_password: Password::new("third1234"),
            })
            .await
            .unwrap();
        let session = client
            .sign_in(uscc, &Password::new("third1234"))
            .await
            .unwrap();
        client.sign_out(&session.token).await.unwrap();

        let review = client
            .request_mobile_review(&MobileReviewRequestV1 {
                uscc: uscc.to_owned(),
                new_mobile: MOBILE.to_owned(),
                sms_code: code(&ca, MOBILE, "change_mobile").await,
                licence_capture: "capture-licence-1".to_owned(),
                id_capture: "capture-id-1".to_owned(),
            })
            .await
            .unwrap();
        assert_eq!(review.status, "pending");
    }
}
