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
    REVIEW_CAPTURE_MAX_BYTES, REVIEW_CAPTURE_MEDIA_TYPE, RegisterV1, ResetPasswordV1,
    ReviewCaptureV1, SessionV1, SignInV1, capture_reference, check_new_password, looks_like_jpeg,
};
use kiosk_sync_wire::hex;
use kiosk_sync_wire::paths;
use kiosk_sync_wire::problem::Problem;
use kiosk_sync_wire::sms::{SmsCodeRequestV1, SmsCodeSentV1};
use sha2::{Digest, Sha256};

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

    /// `PUT /v1/accounts/mobile-reviews/captures/{sha256}`: uploads one
    /// photograph for a review request (the business licence with the
    /// unit's seal, or the handler's ID document), a JPEG of at most 1 MiB.
    /// Returns its reference, `sha256:<64 lower-case hex>`, for
    /// [`MobileReviewRequestV1`]'s `licence_capture` / `id_capture`; the
    /// CA accepts it only from this kiosk, and keeps it a day unless a
    /// request names it. Sending the same bytes again is harmless (the CA
    /// answers 201 the first time, 200 after). Refusals: `too_many_requests`
    /// (429, with `retry_after`: the kiosk holds too many captures no
    /// request names yet), `attachment_too_large`, `invalid_field`,
    /// `digest_mismatch` (the bytes changed on the way).
    ///
    /// # Errors
    /// Not a JPEG or larger than 1 MiB (checked before sending, shaped as
    /// the CA's refusal), the CA could not be reached, or refused.
    pub async fn upload_review_capture(&self, jpeg: &[u8]) -> Result<String, CallError> {
        if jpeg.len() > REVIEW_CAPTURE_MAX_BYTES {
            return Err(refused(Box::new(
                Problem::new(kiosk_sync_wire::problem::ProblemCode::AttachmentTooLarge)
                    .with_detail("a review capture has at most 1 MiB"),
            )));
        }
        if !looks_like_jpeg(jpeg) {
            let mut p = Problem::new(kiosk_sync_wire::problem::ProblemCode::InvalidField)
                .with_detail("a review capture is a JPEG image");
            p.field = Some("body".to_owned());
            return Err(refused(Box::new(p)));
        }
        let digest = hex::encode(&Sha256::digest(jpeg));
        let response = self
            .http
            .put(self.url(&paths::review_capture(&digest)))
            .header(reqwest::header::CONTENT_TYPE, REVIEW_CAPTURE_MEDIA_TYPE)
            .body(jpeg.to_vec())
            .send()
            .await;
        let stored: ReviewCaptureV1 = Self::answer(response).await?.1;
        let reference = capture_reference(&digest);
        if stored.reference != reference {
            return Err(CallError::Invalid(
                "the CA answered another capture's reference".to_owned(),
            ));
        }
        Ok(reference)
    }

    /// `POST /v1/accounts/mobile-reviews`: the old number is lost; the CA's
    /// staff decide from the photographs. `licence_capture` and
    /// `id_capture` are the references [`Self::upload_review_capture`]
    /// returned (uploaded by this kiosk; another's, or one removed after a
    /// day unreferenced, is `invalid_field` naming the field). The request
    /// as the CA keeps it (`status` `pending`).
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

        // The photographs first: checked before sending, then kept by
        // their SHA-256, once however often they are sent.
        let before = service.requests().len();
        let e = client.upload_review_capture(b"GIF89a").await.unwrap_err();
        assert_eq!(e.code(), Some(ProblemCode::InvalidField));
        let mut huge = vec![0xFF, 0xD8, 0xFF, 0xE0];
        huge.resize(REVIEW_CAPTURE_MAX_BYTES + 1, 0);
        let e = client.upload_review_capture(&huge).await.unwrap_err();
        assert_eq!(e.code(), Some(ProblemCode::AttachmentTooLarge));
        assert_eq!(service.requests().len(), before, "nothing was sent");
        let licence_jpeg = [&[0xFF, 0xD8, 0xFF, 0xE0][..], "营业执照".as_bytes()].concat();
        let id_jpeg = [&[0xFF, 0xD8, 0xFF, 0xE1][..], "身份证".as_bytes()].concat();
        let licence = client.upload_review_capture(&licence_jpeg).await.unwrap();
        let digest = hex::encode(&Sha256::digest(&licence_jpeg));
        assert_eq!(licence, format!("sha256:{digest}"));
        assert_eq!(
            client.upload_review_capture(&licence_jpeg).await.unwrap(),
            licence
        );
        let id = client.upload_review_capture(&id_jpeg).await.unwrap();
        assert_eq!(service.storage().review_capture_count().unwrap(), 2);

        let review = client
            .request_mobile_review(&MobileReviewRequestV1 {
                uscc: uscc.to_owned(),
                new_mobile: MOBILE.to_owned(),
                sms_code: code(&ca, MOBILE, "change_mobile").await,
                licence_capture: licence.clone(),
                id_capture: id.clone(),
            })
            .await
            .unwrap();
        assert_eq!(review.status, "pending");
        assert_eq!((review.licence_capture, review.id_capture), (licence, id));
        // A free-text reference is refused before sending.
        let e = client
            .request_mobile_review(&MobileReviewRequestV1 {
                uscc: uscc.to_owned(),
                new_mobile: MOBILE.to_owned(),
                sms_code: "123456".to_owned(),
                licence_capture: "capture-licence-1".to_owned(),
                id_capture: format!("sha256:{digest}"),
            })
            .await
            .unwrap_err();
        assert_eq!(e.code(), Some(ProblemCode::InvalidField));
    }
}
