//! 企业账户: what its flow's state shows (the mobile masked), and the form
//! of each page checked with the domain's parsers and password rules
//! before anything is sent.
#![forbid(unsafe_code)]

use crate::events::AccountSecrets;
use crate::screens::{fields, vocabulary};
use crate::{AccountField, AccountPage, AccountProblem, AccountSaid};
use kiosk_domain::account::{PasswordError, check_new_password, is_sms_code};
use kiosk_domain::flow::account::{AccountState, Failure, Page, REVIEW_DOCUMENTS, Request, Said};
use kiosk_domain::ids::{MobileNumber, Uscc};
use kiosk_domain::order::attachment::AttachmentKind;
use kiosk_domain::ports::account::{AccountRefusal, CodePurpose, Secret};

/// The signed-in unit as shown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitView {
    pub unit_name: String,
    pub uscc: String,
    /// Masked.
    pub mobile: String,
    pub registered: String,
}

/// A document of 变更手机号 as its row shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReviewDocumentView {
    pub kind: AttachmentKind,
    pub done: bool,
    pub size_kb: i32,
    pub capturing: bool,
    pub failed: bool,
}

/// What 企业账户 shows of its flow's state.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountView {
    pub page: AccountPage,
    pub busy: bool,
    /// The request with the CA is 获取验证码 (what is typed stays).
    pub sending_code: bool,
    pub offline: bool,
    pub said: AccountSaid,
    pub said_secs: i32,
    pub unit: Option<UnitView>,
    /// 变更手机号's documents, in [`REVIEW_DOCUMENTS`]' order.
    pub documents: Vec<ReviewDocumentView>,
    pub documents_done: bool,
    /// The row of the document just taken, shown large to be checked
    /// (-1: none).
    pub checking: i32,
}

#[must_use]
pub fn page_kind(page: Page) -> AccountPage {
    match page {
        Page::SignIn => AccountPage::SignIn,
        Page::Register => AccountPage::Register,
        Page::Forgot => AccountPage::Forgot,
        Page::Unit => AccountPage::Unit,
        Page::ChangePassword => AccountPage::ChangePassword,
        Page::ChangeMobile => AccountPage::ChangeMobile,
        Page::MobileReview => AccountPage::MobileReview,
    }
}

#[must_use]
pub fn page_of(kind: AccountPage) -> Page {
    match kind {
        AccountPage::SignIn => Page::SignIn,
        AccountPage::Register => Page::Register,
        AccountPage::Forgot => Page::Forgot,
        AccountPage::Unit => Page::Unit,
        AccountPage::ChangePassword => Page::ChangePassword,
        AccountPage::ChangeMobile => Page::ChangeMobile,
        AccountPage::MobileReview => Page::MobileReview,
    }
}

fn secs(s: Option<u32>) -> i32 {
    s.map_or(0, |s| i32::try_from(s).unwrap_or(i32::MAX))
}

/// What the CA said, and the seconds its message needs.
#[must_use]
pub fn said(said: Option<&Said>) -> (AccountSaid, i32) {
    use AccountSaid as A;
    let Some(said) = said else {
        return (A::None, 0);
    };
    match said {
        Said::CodeSent { resend_after_secs } => (A::CodeSent, secs(Some(*resend_after_secs))),
        Said::Registered => (A::Registered, 0),
        Said::PasswordReset => (A::PasswordReset, 0),
        Said::PasswordChanged => (A::PasswordChanged, 0),
        Said::MobileChanged => (A::MobileChanged, 0),
        Said::ReviewRequested => (A::ReviewRequested, 0),
        Said::SignedOut => (A::SignedOut, 0),
        Said::Failed(Failure::Unreachable) => (A::Offline, 0),
        Said::Failed(Failure::Retype) => (A::Retype, 0),
        Said::Failed(Failure::Refused(r)) => match r {
            AccountRefusal::SignInFailed => (A::SignInFailed, 0),
            AccountRefusal::Locked { retry_after_secs } => (A::Locked, secs(*retry_after_secs)),
            AccountRefusal::AccountExists => (A::AccountExists, 0),
            AccountRefusal::CodeWrong => (A::CodeWrong, 0),
            AccountRefusal::CodeExpired => (A::CodeExpired, 0),
            AccountRefusal::TooSoon { retry_after_secs } => (A::TooSoon, secs(*retry_after_secs)),
            AccountRefusal::MobileNotOnFile => (A::MobileNotOnFile, 0),
            AccountRefusal::PasswordWrong => (A::PasswordWrong, 0),
            AccountRefusal::SessionEnded => (A::SessionEnded, 0),
            AccountRefusal::Invalid { .. } => (A::Invalid, 0),
            AccountRefusal::Other => (A::Refused, 0),
        },
    }
}

/// 企业账户's view (`None` at home).
#[must_use]
pub fn account_view(state: &AccountState) -> Option<AccountView> {
    let AccountState::Open(desk) = state else {
        return None;
    };
    let (said, said_secs) = match said(desk.said.as_ref()) {
        // On 变更手机号 the CA's mismatch is a USCC without an account.
        (AccountSaid::MobileNotOnFile, _) if desk.page == Page::MobileReview => {
            (AccountSaid::NoAccount, 0)
        }
        other => other,
    };
    Some(AccountView {
        page: page_kind(desk.page),
        busy: desk.asking.is_some(),
        sending_code: matches!(desk.asking, Some(Request::SendCode { .. })),
        offline: desk.reachable == Some(false),
        said,
        said_secs,
        unit: desk.account.as_ref().map(|a| UnitView {
            unit_name: a.unit.name.as_str().to_owned(),
            uscc: a.unit.uscc.as_str().to_owned(),
            mobile: a.mobile.masked(),
            registered: vocabulary::date(a.registered_at),
        }),
        documents: REVIEW_DOCUMENTS
            .iter()
            .map(|&kind| {
                let taken = desk.review.taken.iter().find(|t| t.kind == kind);
                ReviewDocumentView {
                    kind,
                    done: taken.is_some(),
                    size_kb: taken.map_or(0, |t| {
                        i32::try_from(t.size.div_ceil(1024)).unwrap_or(i32::MAX)
                    }),
                    capturing: desk.review.capturing == Some(kind),
                    failed: desk.review.failed == Some(kind),
                }
            })
            .collect(),
        documents_done: desk.review.complete() && desk.review.checking.is_none(),
        checking: desk
            .review
            .checking
            .and_then(|k| REVIEW_DOCUMENTS.iter().position(|d| *d == k))
            .map_or(-1, |i| i32::try_from(i).unwrap_or(-1)),
    })
}

/// What is typed on the screen.
#[derive(Debug, Default, Clone, Copy)]
pub struct Typed<'a> {
    pub unit_name: &'a str,
    pub uscc: &'a str,
    pub mobile: &'a str,
    pub code: &'a str,
    pub password: &'a str,
    pub password_again: &'a str,
    pub old_password: &'a str,
}

/// What is wrong with the form, and in which field.
pub type FormProblem = (AccountProblem, AccountField);

fn uscc(text: &str) -> Result<Uscc, FormProblem> {
    fields::uscc(text).map_err(|_| (AccountProblem::Uscc, AccountField::Uscc))
}

fn mobile(text: &str) -> Result<MobileNumber, FormProblem> {
    fields::mobile(text).map_err(|_| (AccountProblem::Mobile, AccountField::Mobile))
}

fn code(text: &str) -> Result<Secret, FormProblem> {
    let text = text.trim();
    if is_sms_code(text) {
        Ok(Secret::new(text))
    } else {
        Err((AccountProblem::Code, AccountField::Code))
    }
}

fn present(text: &str, field: AccountField) -> Result<Secret, FormProblem> {
    if text.is_empty() {
        Err((AccountProblem::PasswordEmpty, field))
    } else {
        Ok(Secret::new(text))
    }
}

/// A new password typed twice, by the rules the CA applies.
fn new_password(typed: &Typed<'_>, uscc: &Uscc) -> Result<Secret, FormProblem> {
    use AccountProblem as P;
    check_new_password(typed.password, typed.password_again, uscc.as_str()).map_err(|e| {
        let problem = match e {
            PasswordError::TooShort => P::PasswordTooShort,
            PasswordError::TooLong => P::PasswordTooLong,
            PasswordError::LettersAndDigits => P::PasswordLettersDigits,
            PasswordError::Characters => P::PasswordCharacters,
            PasswordError::SameAsUscc => P::PasswordSameAsUscc,
            PasswordError::Mismatch => P::PasswordMismatch,
        };
        let field = if e == PasswordError::Mismatch {
            AccountField::PasswordAgain
        } else {
            AccountField::Password
        };
        (problem, field)
    })?;
    Ok(Secret::new(typed.password))
}

/// 获取验证码 on `page`: to the mobile typed, for the page's purpose.
///
/// # Errors
/// The mobile does not parse, or the page sends no code.
pub fn code_request(page: Page, typed: &Typed<'_>) -> Result<Request, FormProblem> {
    let (purpose, uscc) = match page {
        // For one unit: its USCC is typed first.
        Page::Register => (CodePurpose::Register, Some(uscc(typed.uscc)?)),
        Page::Forgot => (CodePurpose::ResetPassword, Some(uscc(typed.uscc)?)),
        // To the new number (the unit's USCC is the request's).
        Page::ChangeMobile | Page::MobileReview => (CodePurpose::ChangeMobile, None),
        _ => return Err((AccountProblem::None, AccountField::None)),
    };
    Ok(Request::SendCode {
        mobile: mobile(typed.mobile)?,
        purpose,
        uscc,
    })
}

/// The page's button: its request and what was typed for it.
///
/// # Errors
/// The first field, top to bottom, that is not right.
pub fn request(
    page: Page,
    typed: &Typed<'_>,
    signed_in: Option<&Uscc>,
) -> Result<(Request, AccountSecrets), FormProblem> {
    let mut secrets = AccountSecrets::default();
    let request = match page {
        Page::SignIn => {
            let uscc = uscc(typed.uscc)?;
            secrets.password = Some(present(typed.password, AccountField::Password)?);
            Request::SignIn { uscc }
        }
        Page::Register => {
            let unit_name = fields::unit_name(typed.unit_name)
                .map_err(|_| (AccountProblem::UnitName, AccountField::UnitName))?;
            let uscc = uscc(typed.uscc)?;
            secrets.password = Some(new_password(typed, &uscc)?);
            let mobile = mobile(typed.mobile)?;
            secrets.code = Some(code(typed.code)?);
            Request::Register {
                unit_name,
                uscc,
                mobile,
            }
        }
        Page::Forgot => {
            let uscc = uscc(typed.uscc)?;
            let mobile = mobile(typed.mobile)?;
            secrets.code = Some(code(typed.code)?);
            secrets.new_password = Some(new_password(typed, &uscc)?);
            Request::ResetPassword { uscc, mobile }
        }
        Page::ChangePassword => {
            let Some(uscc) = signed_in else {
                return Err((AccountProblem::None, AccountField::None));
            };
            secrets.password = Some(present(typed.old_password, AccountField::OldPassword)?);
            secrets.new_password = Some(new_password(typed, uscc)?);
            Request::ChangePassword
        }
        Page::ChangeMobile => {
            let new_mobile = mobile(typed.mobile)?;
            secrets.code = Some(code(typed.code)?);
            Request::ChangeMobile { new_mobile }
        }
        Page::MobileReview => {
            let uscc = uscc(typed.uscc)?;
            let new_mobile = mobile(typed.mobile)?;
            secrets.code = Some(code(typed.code)?);
            Request::MobileReview { uscc, new_mobile }
        }
        Page::Unit => return Err((AccountProblem::None, AccountField::None)),
    };
    Ok((request, secrets))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;
    use kiosk_domain::fixtures;

    fn typed() -> Typed<'static> {
        Typed {
            unit_name: "山西示例煤业有限公司",
            uscc: fixtures::USCC,
            mobile: fixtures::MOBILE,
            code: "123456",
            password: "Shanxi2026",
            password_again: "Shanxi2026",
            old_password: "Old12345",
        }
    }

    #[test]
    fn each_page_checks_its_fields_before_anything_is_sent() {
        let (register, secrets) = request(Page::Register, &typed(), None).unwrap();
        assert!(matches!(register, Request::Register { .. }));
        assert_eq!(secrets.password.unwrap().expose(), "Shanxi2026");
        assert_eq!(secrets.code.unwrap().expose(), "123456");
        let cases = [
            (
                Page::Register,
                Typed {
                    unit_name: "",
                    ..typed()
                },
                AccountProblem::UnitName,
                AccountField::UnitName,
            ),
            (
                Page::Register,
                Typed {
                    uscc: "9111",
                    ..typed()
                },
                AccountProblem::Uscc,
                AccountField::Uscc,
            ),
            (
                Page::Register,
                Typed {
                    password: "short1",
                    password_again: "short1",
                    ..typed()
                },
                AccountProblem::PasswordTooShort,
                AccountField::Password,
            ),
            (
                Page::Register,
                Typed {
                    password_again: "Shanxi2025",
                    ..typed()
                },
                AccountProblem::PasswordMismatch,
                AccountField::PasswordAgain,
            ),
            (
                Page::Register,
                Typed {
                    password: "abcdefghij",
                    password_again: "abcdefghij",
                    ..typed()
                },
                AccountProblem::PasswordLettersDigits,
                AccountField::Password,
            ),
            (
                Page::Register,
                Typed {
                    mobile: "1380013",
                    ..typed()
                },
                AccountProblem::Mobile,
                AccountField::Mobile,
            ),
            (
                Page::Register,
                Typed {
                    code: "12a456",
                    ..typed()
                },
                AccountProblem::Code,
                AccountField::Code,
            ),
            (
                Page::SignIn,
                Typed {
                    password: "",
                    ..typed()
                },
                AccountProblem::PasswordEmpty,
                AccountField::Password,
            ),
            (
                Page::Forgot,
                Typed {
                    code: "",
                    ..typed()
                },
                AccountProblem::Code,
                AccountField::Code,
            ),
            (
                Page::ChangeMobile,
                Typed {
                    mobile: "",
                    ..typed()
                },
                AccountProblem::Mobile,
                AccountField::Mobile,
            ),
        ];
        for (page, t, problem, field) in cases {
            assert_eq!(
                request(page, &t, None).err(),
                Some((problem, field)),
                "{page:?} {t:?}"
            );
        }
        let uscc: Uscc = fixtures::USCC.parse().unwrap();
        assert_eq!(
            request(
                Page::ChangePassword,
                &Typed {
                    old_password: "",
                    ..typed()
                },
                Some(&uscc)
            )
            .err(),
            Some((AccountProblem::PasswordEmpty, AccountField::OldPassword))
        );
        assert_eq!(
            request(
                Page::ChangePassword,
                &Typed {
                    password: fixtures::USCC,
                    password_again: fixtures::USCC,
                    ..typed()
                },
                Some(&uscc)
            )
            .err(),
            Some((AccountProblem::PasswordSameAsUscc, AccountField::Password))
        );
        assert!(matches!(
            code_request(Page::Forgot, &typed()),
            Ok(Request::SendCode {
                purpose: CodePurpose::ResetPassword,
                ..
            })
        ));
        assert!(code_request(Page::SignIn, &typed()).is_err());
        // 变更手机号: the unit first, the code to the new number.
        assert_eq!(
            request(
                Page::MobileReview,
                &Typed {
                    uscc: "9114",
                    ..typed()
                },
                None
            )
            .err(),
            Some((AccountProblem::Uscc, AccountField::Uscc))
        );
        let (review, secrets) = request(Page::MobileReview, &typed(), None).unwrap();
        assert!(matches!(review, Request::MobileReview { .. }));
        assert_eq!(secrets.code.unwrap().expose(), "123456");
        assert!(matches!(
            code_request(Page::MobileReview, &typed()),
            Ok(Request::SendCode {
                purpose: CodePurpose::ChangeMobile,
                uscc: None,
                ..
            })
        ));
    }

    #[test]
    fn every_refusal_says_something_of_its_own() {
        use AccountRefusal as R;
        let refusals = [
            R::SignInFailed,
            R::Locked {
                retry_after_secs: Some(600),
            },
            R::AccountExists,
            R::CodeWrong,
            R::CodeExpired,
            R::TooSoon {
                retry_after_secs: Some(42),
            },
            R::MobileNotOnFile,
            R::PasswordWrong,
            R::SessionEnded,
            R::Invalid { field: None },
            R::Other,
        ];
        let mut seen = std::collections::HashSet::new();
        for r in refusals {
            let (s, _) = said(Some(&Said::Failed(Failure::Refused(r))));
            assert!(seen.insert(format!("{s:?}")), "{s:?} twice");
        }
        assert_eq!(
            said(Some(&Said::Failed(Failure::Refused(R::TooSoon {
                retry_after_secs: Some(42)
            })))),
            (AccountSaid::TooSoon, 42)
        );
    }
}
