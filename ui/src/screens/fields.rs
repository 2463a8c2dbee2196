//! Typed values checked as the customer types, by the domain's own parsers:
//! each parse error becomes a [`FieldCheck`] (what is wrong and the numbers
//! its message needs) that `Texts.field-problem` says in the domain's words.
//! Shared by every form.
#![forbid(unsafe_code)]

use crate::{CheckedAs, FieldCheck, FieldProblem};
use kiosk_domain::ids::{
    Email, EmailError, MobileNumber, MobileNumberError, ResidentId, ResidentIdError, TaxpayerId,
    TaxpayerIdError, Uscc, UsccError, lookalike_in_alphabet,
};
use kiosk_domain::order::text::{Address, PersonName, Reference, TextError, UnitName};

/// A value that parsed: nothing to say.
#[must_use]
pub fn fine(checked_as: CheckedAs) -> FieldCheck {
    FieldCheck {
        checked_as,
        ..FieldCheck::default()
    }
}

/// Whether the problem only says the value is not finished (nothing typed
/// yet, or too few characters so far): not worth telling while the customer
/// is still typing, only when they want to go on.
#[must_use]
pub fn unfinished(check: &FieldCheck, typed: &str) -> bool {
    match check.problem {
        FieldProblem::Empty => true,
        FieldProblem::Length => {
            let wanted = match check.checked_as {
                CheckedAs::Mobile => 11,
                _ => 18,
            };
            typed.trim().chars().count() < wanted
        }
        // A shorter form of taxpayer ID (15 characters) may be the first
        // part of the usual 18: its sums are told when the customer goes on.
        FieldProblem::BadRegion | FieldProblem::BadOrgCode | FieldProblem::BadCheck
            if check.checked_as == CheckedAs::TaxpayerId =>
        {
            typed.trim().chars().count() < 18
        }
        _ => false,
    }
}

fn int(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn problem(checked_as: CheckedAs, problem: FieldProblem) -> FieldCheck {
    FieldCheck {
        checked_as,
        problem,
        ..FieldCheck::default()
    }
}

fn count(checked_as: CheckedAs, problem: FieldProblem, n: usize) -> FieldCheck {
    FieldCheck {
        count: int(n),
        ..self::problem(checked_as, problem)
    }
}

fn bad_char(checked_as: CheckedAs, position: usize, found: char) -> FieldCheck {
    FieldCheck {
        position: int(position),
        found: found.to_string().into(),
        meant: lookalike_in_alphabet(found)
            .map(|c| c.to_string())
            .unwrap_or_default()
            .into(),
        ..problem(checked_as, FieldProblem::BadChar)
    }
}

fn text_check(checked_as: CheckedAs, e: &TextError) -> FieldCheck {
    match e {
        TextError::Empty { .. } => problem(checked_as, FieldProblem::Empty),
        TextError::TooLong { max, .. } => FieldCheck {
            max: int(*max),
            ..problem(checked_as, FieldProblem::TooLong)
        },
        TextError::ControlCharacter { .. } => problem(checked_as, FieldProblem::ControlCharacter),
    }
}

/// While a code is not all there yet, what is already wrong in what was
/// typed says more than "too short".
fn typed_so_far<E>(parsed: E, typed: Result<(), E>) -> E {
    typed.err().unwrap_or(parsed)
}

/// A person's name (联系人, 经办人).
///
/// # Errors
/// What the domain refused, as a check to show.
pub fn person_name(text: &str) -> Result<PersonName, FieldCheck> {
    text.parse()
        .map_err(|e| text_check(CheckedAs::PersonName, &e))
}

/// A unit's name (单位名称, 发票抬头).
///
/// # Errors
/// What the domain refused, as a check to show.
pub fn unit_name(text: &str) -> Result<UnitName, FieldCheck> {
    text.parse()
        .map_err(|e| text_check(CheckedAs::UnitName, &e))
}

/// A postal address (单位地址, 邮寄地址).
///
/// # Errors
/// What the domain refused, as a check to show.
pub fn address(text: &str) -> Result<Address, FieldCheck> {
    text.parse().map_err(|e| text_check(CheckedAs::Address, &e))
}

/// A reference copied from elsewhere (企业编号, 用户编号, a courier).
///
/// # Errors
/// What the domain refused, as a check to show.
pub fn reference(text: &str) -> Result<Reference, FieldCheck> {
    text.parse()
        .map_err(|e| text_check(CheckedAs::Reference, &e))
}

/// A mobile number.
///
/// # Errors
/// What the domain refused, as a check to show.
pub fn mobile(text: &str) -> Result<MobileNumber, FieldCheck> {
    const AS: CheckedAs = CheckedAs::Mobile;
    text.parse().map_err(|e| match e {
        MobileNumberError::Empty => problem(AS, FieldProblem::Empty),
        MobileNumberError::BadChar { .. } => problem(AS, FieldProblem::BadChar),
        MobileNumberError::Length { len } => count(AS, FieldProblem::Length, len),
        MobileNumberError::NotMobile => problem(AS, FieldProblem::NotMobile),
    })
}

/// An e-mail address.
///
/// # Errors
/// What the domain refused, as a check to show.
pub fn email(text: &str) -> Result<Email, FieldCheck> {
    const AS: CheckedAs = CheckedAs::Email;
    text.parse().map_err(|e| {
        problem(
            AS,
            match e {
                EmailError::Empty => FieldProblem::Empty,
                EmailError::TooLong => FieldProblem::TooLong,
                EmailError::AtSign => FieldProblem::AtSign,
                EmailError::BadLocalPart => FieldProblem::BadLocalPart,
                EmailError::BadDomain => FieldProblem::BadDomain,
            },
        )
    })
}

/// A taxpayer ID (纳税人识别号).
///
/// # Errors
/// What the domain refused, as a check to show.
pub fn taxpayer_id(text: &str) -> Result<TaxpayerId, FieldCheck> {
    const AS: CheckedAs = CheckedAs::TaxpayerId;
    text.parse()
        .map_err(|e| match typed_so_far(e, TaxpayerId::check_typed(text)) {
            TaxpayerIdError::Empty => problem(AS, FieldProblem::Empty),
            TaxpayerIdError::Length { len } => count(AS, FieldProblem::Length, len),
            TaxpayerIdError::BadChar { position, found } => bad_char(AS, position, found),
            TaxpayerIdError::BadAdminDivision => problem(AS, FieldProblem::BadRegion),
            TaxpayerIdError::BadOrgCode => problem(AS, FieldProblem::BadOrgCode),
            TaxpayerIdError::BadCheck => problem(AS, FieldProblem::BadCheck),
        })
}

/// A unified social credit code (统一社会信用代码).
///
/// # Errors
/// What the domain refused, as a check to show.
pub fn uscc(text: &str) -> Result<Uscc, FieldCheck> {
    const AS: CheckedAs = CheckedAs::Uscc;
    text.parse()
        .map_err(|e| match typed_so_far(e, Uscc::check_typed(text)) {
            UsccError::Empty => problem(AS, FieldProblem::Empty),
            UsccError::Length { len } => count(AS, FieldProblem::Length, len),
            UsccError::BadChar { position, found } => bad_char(AS, position, found),
            UsccError::BadAdminDivision => problem(AS, FieldProblem::BadRegion),
            UsccError::BadOrgCode => problem(AS, FieldProblem::BadOrgCode),
            UsccError::BadCheck => problem(AS, FieldProblem::BadCheck),
        })
}

/// A resident ID number (身份证号码).
///
/// # Errors
/// What the domain refused, as a check to show.
pub fn resident_id(text: &str) -> Result<ResidentId, FieldCheck> {
    const AS: CheckedAs = CheckedAs::ResidentId;
    text.parse()
        .map_err(|e| match typed_so_far(e, ResidentId::check_typed(text)) {
            ResidentIdError::Empty => problem(AS, FieldProblem::Empty),
            ResidentIdError::Length { len } => count(AS, FieldProblem::Length, len),
            ResidentIdError::BadChar { position, .. } => FieldCheck {
                position: int(position),
                ..problem(AS, FieldProblem::BadChar)
            },
            ResidentIdError::BadBirthDate => problem(AS, FieldProblem::BadDate),
            ResidentIdError::BadCheck => problem(AS, FieldProblem::BadCheck),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_half_typed_value_is_unfinished_and_a_wrong_one_is_not() {
        let check = mobile("139").expect_err("three digits");
        assert_eq!(check.problem, FieldProblem::Length);
        assert!(unfinished(&check, "139"));
        let check = mobile("139123456789").expect_err("twelve digits");
        assert_eq!((check.problem, check.count), (FieldProblem::Length, 12));
        assert!(!unfinished(&check, "139123456789"));
        let check = resident_id("11010519491231002").expect_err("17 characters");
        assert!(unfinished(&check, "11010519491231002"));
        let check = resident_id("110105194913310021").expect_err("no 13th month");
        assert_eq!(check.problem, FieldProblem::BadDate);
        assert!(!unfinished(&check, "110105194913310021"));
        assert!(unfinished(&person_name(" ").expect_err("blank"), " "));
    }

    #[test]
    fn a_wrong_character_is_told_before_the_code_is_all_there() {
        let check = uscc("91110108551O").expect_err("O in the middle");
        assert_eq!((check.problem, check.position), (FieldProblem::BadChar, 12));
        assert_eq!(check.meant, "0");
        assert!(!unfinished(&check, "91110108551O"));
        let check = resident_id("1101051949X").expect_err("X too early");
        assert_eq!((check.problem, check.position), (FieldProblem::BadChar, 11));
        let check = taxpayer_id("911101085513850").expect_err("15 of 18 typed");
        assert!(unfinished(&check, "911101085513850"), "{check:?}");
        let check = taxpayer_id("9111-").expect_err("a hyphen");
        assert_eq!((check.problem, check.position), (FieldProblem::BadChar, 5));
    }

    #[test]
    fn a_left_out_letter_names_the_one_probably_meant() {
        let check = taxpayer_id("91110108551385O82Q").expect_err("O for 0");
        assert_eq!(check.problem, FieldProblem::BadChar);
        assert_eq!((check.found.as_str(), check.meant.as_str()), ("O", "0"));
        assert_eq!(check.position, 15);
    }
}
