//! The domain's [`AccountPort`] over the protocol: the account routes'
//! problem codes read here, the kiosk's flow sees only
//! [`AccountRefusal`]s.

use crate::http::{CaClient, CallError};
use kiosk_domain::account::{AccountInfo, AccountUnit};
use kiosk_domain::ids::{MobileNumber, Uscc};
use kiosk_domain::ports::account::{
    AccountError, AccountPort, AccountRefusal, AccountSession, CodePurpose, MobileReview,
    Registration, Secret,
};
use kiosk_sync_wire::account::{
    AccountV1, ChangeMobileV1, ChangePasswordV1, MobileReviewRequestV1, Password, RegisterV1,
    ResetPasswordV1,
};
use kiosk_sync_wire::problem::ProblemCode;
use kiosk_sync_wire::sms::SmsCodeRequestV1;

fn seconds(retry_after: Option<std::time::Duration>) -> Option<u32> {
    retry_after.and_then(|d| u32::try_from(d.as_secs()).ok())
}

/// What a failed call means for the account screens.
fn account_error(e: CallError) -> AccountError {
    let code = e.code();
    let refused = AccountError::Refused;
    match e {
        CallError::Transport(kind) => AccountError::Unreachable(kind),
        CallError::Invalid(what) => AccountError::Invalid(what),
        CallError::Status {
            status,
            problem,
            retry_after,
            ..
        } => match code {
            Some(ProblemCode::SignInFailed) => refused(AccountRefusal::SignInFailed),
            Some(ProblemCode::AccountLocked) => refused(AccountRefusal::Locked {
                retry_after_secs: seconds(retry_after),
            }),
            Some(ProblemCode::TooManyRequests) => refused(AccountRefusal::TooSoon {
                retry_after_secs: seconds(retry_after),
            }),
            Some(ProblemCode::AccountExists) => refused(AccountRefusal::AccountExists),
            Some(ProblemCode::SmsCodeWrong) => refused(AccountRefusal::CodeWrong),
            Some(ProblemCode::SmsCodeExpired) => refused(AccountRefusal::CodeExpired),
            Some(ProblemCode::AccountMismatch) => refused(AccountRefusal::MobileNotOnFile),
            Some(ProblemCode::PasswordWrong) => refused(AccountRefusal::PasswordWrong),
            Some(ProblemCode::SessionInvalid) => refused(AccountRefusal::SessionEnded),
            Some(ProblemCode::InvalidField) => refused(AccountRefusal::Invalid {
                field: problem.and_then(|p| p.field),
            }),
            Some(c) if c.is_transient() => AccountError::Unreachable(c.as_str().to_owned()),
            _ if matches!(status, 408 | 425 | 429 | 500..=599) => {
                AccountError::Unreachable(format!("HTTP {status}"))
            }
            _ => refused(AccountRefusal::Other),
        },
    }
}

fn account_info(a: AccountV1) -> Result<AccountInfo, AccountError> {
    let invalid = |what: &str| AccountError::Invalid(format!("the account's {what}"));
    Ok(AccountInfo {
        unit: AccountUnit {
            name: a.unit_name.parse().map_err(|_| invalid("unit name"))?,
            uscc: a.uscc.parse().map_err(|_| invalid("USCC"))?,
        },
        mobile: a.mobile.parse().map_err(|_| invalid("mobile"))?,
        registered_at: time::OffsetDateTime::parse(
            &a.registered_at,
            &time::format_description::well_known::Rfc3339,
        )
        .map_err(|_| invalid("registration time"))?,
    })
}

fn password(secret: &Secret) -> Password {
    Password::new(secret.expose())
}

impl AccountPort for CaClient {
    async fn send_code(
        &self,
        mobile: &MobileNumber,
        purpose: CodePurpose,
        uscc: Option<&Uscc>,
    ) -> Result<u32, AccountError> {
        let purpose = match purpose {
            CodePurpose::Register => "register",
            CodePurpose::ResetPassword => "reset_password",
            CodePurpose::ChangeMobile => "change_mobile",
        };
        let request = SmsCodeRequestV1 {
            mobile: mobile.as_str().to_owned(),
            purpose: purpose.to_owned(),
            uscc: uscc.map(|u| u.as_str().to_owned()),
        };
        let outcome = self.send_sms_code(&request).await;
        Ok(outcome.map_err(account_error)?.resend_after_secs)
    }

    async fn register(&self, r: Registration<'_>) -> Result<AccountInfo, AccountError> {
        let request = RegisterV1 {
            unit_name: r.unit_name.as_str().to_owned(),
            uscc: r.uscc.as_str().to_owned(),
            password: password(r.password),
            mobile: r.mobile.as_str().to_owned(),
            sms_code: r.code.expose().to_owned(),
        };
        // The screen checked the second entry: the same password again.
        let outcome = CaClient::register(self, &request, &request.password).await;
        account_info(outcome.map_err(account_error)?)
    }

    async fn sign_in(&self, uscc: &Uscc, secret: &Secret) -> Result<AccountSession, AccountError> {
        let outcome = CaClient::sign_in(self, uscc.as_str(), &password(secret)).await;
        Ok(AccountSession::new(&outcome.map_err(account_error)?.token))
    }

    async fn sign_out(&self, session: &AccountSession) -> Result<(), AccountError> {
        let outcome = CaClient::sign_out(self, session.token()).await;
        outcome.map_err(account_error)
    }

    async fn reset_password(
        &self,
        uscc: &Uscc,
        mobile: &MobileNumber,
        code: &Secret,
        new_password: &Secret,
    ) -> Result<(), AccountError> {
        let request = ResetPasswordV1 {
            uscc: uscc.as_str().to_owned(),
            mobile: mobile.as_str().to_owned(),
            sms_code: code.expose().to_owned(),
            new_password: password(new_password),
        };
        let outcome = CaClient::reset_password(self, &request).await;
        outcome.map_err(account_error)
    }

    async fn change_password(
        &self,
        session: &AccountSession,
        uscc: &Uscc,
        old_password: &Secret,
        new_password: &Secret,
    ) -> Result<(), AccountError> {
        let request = ChangePasswordV1 {
            old_password: password(old_password),
            new_password: password(new_password),
        };
        let outcome = CaClient::change_password(self, session.token(), uscc, &request).await;
        outcome.map_err(account_error)
    }

    async fn change_mobile(
        &self,
        session: &AccountSession,
        new_mobile: &MobileNumber,
        code: &Secret,
    ) -> Result<AccountInfo, AccountError> {
        let request = ChangeMobileV1 {
            new_mobile: new_mobile.as_str().to_owned(),
            sms_code: code.expose().to_owned(),
        };
        let outcome = CaClient::change_mobile(self, session.token(), &request).await;
        account_info(outcome.map_err(account_error)?)
    }

    /// Both pictures first (content-addressed: a retry sends the same
    /// bytes to the same place), then the request naming them.
    async fn request_mobile_review(&self, review: MobileReview<'_>) -> Result<(), AccountError> {
        let licence = self
            .upload_review_capture(review.licence.bytes())
            .await
            .map_err(account_error)?;
        let id = self
            .upload_review_capture(review.handler_id.bytes())
            .await
            .map_err(account_error)?;
        let request = MobileReviewRequestV1 {
            uscc: review.uscc.as_str().to_owned(),
            new_mobile: review.new_mobile.as_str().to_owned(),
            sms_code: review.code.expose().to_owned(),
            licence_capture: licence,
            id_capture: id,
        };
        let outcome = CaClient::request_mobile_review(self, &request).await;
        outcome.map(|_| ()).map_err(account_error)
    }

    async fn unit_info(&self, session: &AccountSession) -> Result<AccountInfo, AccountError> {
        let outcome = CaClient::unit_info(self, session.token()).await;
        account_info(outcome.map_err(account_error)?)
    }
}
