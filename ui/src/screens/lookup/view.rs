//! 查询订单: the form's problems, the camera's reading, and the order found
//! (personal data masked).
#![forbid(unsafe_code)]

use crate::screens::vocabulary::{date, date_time, lifecycle_status, status_label};
use crate::{AnswerSource, LookupDetail, LookupPayNote, LookupProblem, OrderSummary, ServiceKind};
use kiosk_domain::flow::lookup::{Found, LookupState, Pay, Scan, ScanFailure, payable_order};
use kiosk_domain::ids::{MobileNumber, MobileNumberError};
use kiosk_domain::order::status::Lifecycle;
use kiosk_domain::order::text::{PersonName, Reference};
use kiosk_domain::order::{Order, OrderDetails};
use kiosk_domain::order_number::{OrderNumber, OrderNumberError};
use kiosk_domain::ports::ca::OrderAtCa;

/// What 查询订单 shows of its flow's state.
#[derive(Debug, Clone, PartialEq)]
pub struct LookupView {
    pub scanning: bool,
    pub searching: bool,
    /// The order number the camera has just read, to fill the form with
    /// (once per reading: the customer may still change it).
    pub fill_number: Option<String>,
    pub problem: FormProblem,
    pub result: Option<OrderSummary>,
    /// 扫码支付 is offered on the order shown.
    pub payable: bool,
    /// Picked up here and ready: 现场领取 is offered.
    pub pickup_ready: bool,
    pub pay_note: LookupPayNote,
    /// Paying: the payment screen in place of the lookup.
    pub paying: Option<PayingView>,
    /// The invoice's page, for a QR code (the CA's answer, once 已开票).
    pub invoice_url: Option<String>,
    /// 银行转账's form in place of the lookup.
    pub transfer: Option<TransferView>,
}

/// 查询订单's bank-transfer form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferView {
    pub number: String,
    pub amount: String,
    /// The CA is being told.
    pub sending: bool,
}

/// The transfer's form, checked before anything is sent.
///
/// # Errors
/// The first field that does not parse.
pub fn parse_transfer(
    payer: &str,
    reference: &str,
) -> Result<(PersonName, Reference), crate::RemitProblem> {
    use crate::RemitProblem as P;
    let (payer, reference) = (payer.trim(), reference.trim());
    if payer.is_empty() {
        return Err(P::PayerEmpty);
    }
    let payer = payer.parse::<PersonName>().map_err(|_| P::PayerInvalid)?;
    if reference.is_empty() {
        return Err(P::ReferenceEmpty);
    }
    let reference = reference
        .parse::<Reference>()
        .map_err(|_| P::ReferenceInvalid)?;
    Ok((payer, reference))
}

/// 查询订单's payment screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayingView {
    pub number: String,
    pub amount: String,
    /// What the QR code encodes (`None`: the CA is still asked).
    pub qr_payload: Option<String>,
    /// `HH:MM` the code is valid until, in its own offset (empty: unknown).
    pub expires: String,
}

/// Something the customer must fix or know, with its details.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FormProblem {
    pub problem: LookupProblem,
    pub detail: LookupDetail,
}

impl From<LookupProblem> for FormProblem {
    fn from(problem: LookupProblem) -> Self {
        Self {
            problem,
            detail: LookupDetail::default(),
        }
    }
}

/// 查询订单 as its flow stands (`None`: closed, the form is cleared);
/// `before` is what was shown last.
#[must_use]
pub fn lookup_view(state: &LookupState, before: Option<&LookupState>) -> Option<LookupView> {
    let LookupState::Open {
        scan, found, pay, ..
    } = state
    else {
        return None;
    };
    let mut problem = FormProblem::default();
    let mut fill_number = None;
    match scan {
        Scan::Read(number) => {
            let already = matches!(before, Some(LookupState::Open { scan: Scan::Read(n), .. }) if n == number);
            if !already {
                fill_number = Some(number.to_string());
            }
        }
        Scan::Failed(ScanFailure::NoCamera) => problem = LookupProblem::NoCamera.into(),
        Scan::Failed(ScanFailure::NothingSeen) => problem = LookupProblem::NothingSeen.into(),
        Scan::Idle | Scan::Scanning => {}
    }
    let result = match found {
        Found::AtCa { order, .. } => Some(summary_at_ca(order)),
        Found::Kept {
            order,
            ca_reached,
            heard_at,
        } => Some(OrderSummary {
            source: if *ca_reached {
                AnswerSource::Queued
            } else {
                AnswerSource::KeptOffline
            },
            heard: heard_at.map(date_time).unwrap_or_default().into(),
            ..order_summary(order)
        }),
        Found::NoMatch => {
            problem = LookupProblem::NoMatch.into();
            None
        }
        Found::Offline => {
            problem = LookupProblem::Offline.into();
            None
        }
        Found::Fault => {
            problem = LookupProblem::Fault.into();
            None
        }
        Found::Nothing | Found::AskingCa { .. } | Found::SearchingKiosk { .. } => None,
    };
    let at_ca = match found {
        Found::AtCa { order, .. } => Some(order),
        _ => None,
    };
    let payable = payable_order(found, pay).is_some();
    let pay_note = match pay {
        Pay::Paid => LookupPayNote::Paid,
        Pay::RemittanceNoted => LookupPayNote::RemittanceNoted,
        Pay::Unavailable => LookupPayNote::Unavailable,
        Pay::Idle | Pay::Opening | Pay::Waiting(_) | Pay::TransferForm | Pay::Remitting => {
            LookupPayNote::None
        }
    };
    let transfer = match (pay, at_ca) {
        (Pay::TransferForm | Pay::Remitting, Some(order)) => Some(TransferView {
            number: order.number.to_string(),
            amount: order.amount.to_string(),
            sending: matches!(pay, Pay::Remitting),
        }),
        _ => None,
    };
    let paying = match (pay, at_ca) {
        (Pay::Opening | Pay::Waiting(_), Some(order)) => {
            let qr = match pay {
                Pay::Waiting(qr) => Some(qr),
                _ => None,
            };
            Some(PayingView {
                number: order.number.to_string(),
                amount: order.amount.to_string(),
                qr_payload: qr.map(|q| q.payload.clone()),
                expires: qr
                    .map(|q| format!("{:02}:{:02}", q.expires_at.hour(), q.expires_at.minute()))
                    .unwrap_or_default(),
            })
        }
        _ => None,
    };
    let invoice_url = at_ca.and_then(|o| o.invoice_url.clone());
    let pickup_ready = at_ca.is_some_and(|o| o.ready_for_pickup());
    Some(LookupView {
        pickup_ready,
        transfer,
        invoice_url,
        payable,
        pay_note,
        paying,
        scanning: matches!(scan, Scan::Scanning),
        searching: matches!(found, Found::AskingCa { .. } | Found::SearchingKiosk { .. }),
        fill_number,
        problem,
        result,
    })
}

/// What the order lookup shows of the CA's answer: it carries nothing
/// personal, so no contact is shown.
#[must_use]
pub fn summary_at_ca(order: &OrderAtCa) -> OrderSummary {
    OrderSummary {
        number: order.number.as_str().into(),
        service: match order.lifecycle {
            Lifecycle::Renewal => ServiceKind::Renewal,
            Lifecycle::ApplicationByMail | Lifecycle::ApplicationOnSite => ServiceKind::Application,
        },
        status: lifecycle_status(order.lifecycle, order.status),
        amount: order.amount.to_string().into(),
        date: date(order.created_at).into(),
        rejection_reason: order.reason.clone().unwrap_or_default().into(),
        source: AnswerSource::Ca,
        ..OrderSummary::default()
    }
}

/// What the order lookup shows of an order: masked personal data.
#[must_use]
pub fn order_summary(order: &Order) -> OrderSummary {
    let (service, contact, phone, email) = match &order.details {
        OrderDetails::Renewal(d) => (
            ServiceKind::Renewal,
            d.contact.name.masked(),
            d.contact.mobile.masked(),
            d.invoice.email.masked(),
        ),
        OrderDetails::Application(a) => (
            ServiceKind::Application,
            a.handler.name.masked(),
            a.handler.mobile.masked(),
            String::new(),
        ),
    };
    OrderSummary {
        number: order.number.as_str().into(),
        service,
        status: status_label(order),
        amount: order.amount.to_string().into(),
        date: date(order.created_at).into(),
        rejection_reason: order.rejection_reason().unwrap_or_default().into(),
        contact: contact.into(),
        phone: phone.into(),
        email: email.into(),
        source: AnswerSource::Ca,
        heard: "".into(),
    }
}

/// The lookup form, checked before anything is searched.
///
/// # Errors
/// The first field that does not parse, and why.
pub fn parse_lookup(
    number: &str,
    mobile: &str,
) -> Result<(OrderNumber, MobileNumber), FormProblem> {
    let number = number
        .trim()
        .to_ascii_uppercase()
        .parse::<OrderNumber>()
        .map_err(|e| number_problem(&e))?;
    let mobile = mobile
        .trim()
        .parse::<MobileNumber>()
        .map_err(|e| mobile_problem(&e))?;
    Ok((number, mobile))
}

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn number_problem(e: &OrderNumberError) -> FormProblem {
    match e {
        OrderNumberError::Empty => LookupProblem::NumberEmpty.into(),
        OrderNumberError::Length { len } => FormProblem {
            problem: LookupProblem::NumberLength,
            detail: LookupDetail {
                count: count(*len),
                ..LookupDetail::default()
            },
        },
        OrderNumberError::BadChar { position, found } => FormProblem {
            problem: LookupProblem::NumberBadChar,
            detail: LookupDetail {
                position: count(*position),
                found: found.to_string().into(),
                meant: kiosk_domain::ids::lookalike_in_alphabet(*found)
                    .map(|c| c.to_string())
                    .unwrap_or_default()
                    .into(),
                ..LookupDetail::default()
            },
        },
        // Making a number fails so; reading one never does.
        OrderNumberError::Invalid
        | OrderNumberError::SeqOutOfRange { .. }
        | OrderNumberError::YearOutOfRange { .. } => LookupProblem::NumberInvalid.into(),
    }
}

fn mobile_problem(e: &MobileNumberError) -> FormProblem {
    match e {
        MobileNumberError::Empty => LookupProblem::MobileEmpty.into(),
        MobileNumberError::BadChar { .. } => LookupProblem::MobileBadChar.into(),
        MobileNumberError::Length { len } => FormProblem {
            problem: LookupProblem::MobileLength,
            detail: LookupDetail {
                count: count(*len),
                ..LookupDetail::default()
            },
        },
        MobileNumberError::NotMobile => LookupProblem::NotMobile.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StatusLabel;
    use kiosk_domain::fixtures;
    use kiosk_domain::flow::SessionId;

    fn open(scan: Scan, found: Found) -> LookupState {
        LookupState::Open {
            session: SessionId(1),
            scan,
            found,
            pay: Pay::Idle,
        }
    }

    #[test]
    fn lookup_masks_personal_data_and_uses_the_status_label() {
        let order = fixtures::renewal_order(1);
        let s = order_summary(&order);
        assert_eq!(s.status, StatusLabel::RenewalAwaitingPayment, "待支付");
        assert_eq!(s.service, ServiceKind::Renewal);
        assert_eq!(
            (s.contact.as_str(), s.phone.as_str()),
            ("张*", "138****8000")
        );
        assert_eq!(s.date, "2026-11-23");
        let all = format!("{s:?}");
        assert!(
            !all.contains(fixtures::MOBILE) && !all.contains("张三") && !all.contains("finance@")
        );
        let a = order_summary(&fixtures::application_order(2));
        assert_eq!(
            (a.service, a.status, a.email.as_str()),
            (ServiceKind::Application, StatusLabel::PendingReview, "")
        );
        assert!(!format!("{a:?}").contains("李四"));
    }

    #[test]
    fn lookup_form_is_checked_before_searching() {
        let number = fixtures::order_number(1).to_string();
        assert!(parse_lookup(&number.to_lowercase(), " 13800138000 ").is_ok());
        assert_eq!(
            parse_lookup("", "13800138000").unwrap_err().problem,
            LookupProblem::NumberEmpty
        );
        let e = parse_lookup("nonsense", "13800138000").unwrap_err();
        assert_eq!(
            (e.problem, e.detail.count),
            (LookupProblem::NumberLength, 8)
        );
        let e = parse_lookup(&number, "123").unwrap_err();
        assert_eq!(
            (e.problem, e.detail.count),
            (LookupProblem::MobileLength, 3)
        );
        // A letter order numbers never use, and the symbol probably meant.
        let typo = format!("{}S{}", &number[..5], &number[6..]);
        let e = parse_lookup(&typo, "13800138000").unwrap_err();
        assert_eq!(e.problem, LookupProblem::NumberBadChar);
        assert_eq!(
            (
                e.detail.position,
                e.detail.found.as_str(),
                e.detail.meant.as_str()
            ),
            (6, "S", "5")
        );
    }

    #[test]
    fn a_reading_fills_the_form_once_and_problems_are_said() {
        let number = fixtures::order_number(1);
        let read = open(Scan::Read(number), Found::Nothing);
        let v = lookup_view(&read, None).unwrap();
        assert_eq!(v.fill_number, Some(number.to_string()));
        assert_eq!(lookup_view(&read, Some(&read)).unwrap().fill_number, None);
        let v = lookup_view(
            &open(Scan::Failed(ScanFailure::NothingSeen), Found::Nothing),
            None,
        )
        .unwrap();
        assert_eq!(v.problem.problem, LookupProblem::NothingSeen);
        let v = lookup_view(&open(Scan::Idle, Found::NoMatch), None).unwrap();
        assert_eq!(
            (v.problem.problem, v.result),
            (LookupProblem::NoMatch, None)
        );
        let asking = Found::AskingCa {
            number,
            mobile: fixtures::MOBILE.parse().unwrap(),
        };
        let v = lookup_view(&open(Scan::Scanning, asking), None).unwrap();
        assert!(v.scanning && v.searching);
        let v = lookup_view(&open(Scan::Idle, Found::Offline), None).unwrap();
        assert_eq!(
            (v.problem.problem, v.result),
            (LookupProblem::Offline, None),
            "offline with no copy here is not 未找到订单"
        );
        assert_eq!(lookup_view(&LookupState::Home, None), None);
    }

    #[test]
    fn the_cas_answer_shows_no_contact_and_a_kept_copy_says_how_old_it_is() {
        let order = fixtures::application_order(3);
        let at_ca = OrderAtCa {
            number: order.number,
            lifecycle: order.lifecycle(),
            status: kiosk_domain::order::status::OrderStatus::Rejected,
            reason: Some("材料不清晰".to_owned()),
            amount: order.amount,
            created_at: order.created_at,
            invoice_url: None,
        };
        let found = Found::AtCa {
            order: Box::new(at_ca),
            mobile: fixtures::MOBILE.parse().unwrap(),
        };
        let v = lookup_view(&open(Scan::Idle, found), None).unwrap();
        let s = v.result.unwrap();
        assert_eq!(v.problem, FormProblem::default());
        assert_eq!(s.status, StatusLabel::Rejected);
        assert_eq!(s.rejection_reason, "材料不清晰");
        assert_eq!(s.service, ServiceKind::Application);
        assert_eq!(s.source, AnswerSource::Ca);
        assert!(s.contact.is_empty() && s.phone.is_empty());

        let heard = time::macros::datetime!(2026-11-30 09:05 +8);
        for (ca_reached, heard_at, source, said) in [
            (true, None, AnswerSource::Queued, ""),
            (
                false,
                Some(heard),
                AnswerSource::KeptOffline,
                "2026-11-30 09:05",
            ),
            (false, None, AnswerSource::KeptOffline, ""),
        ] {
            let kept = Found::Kept {
                order: Box::new(fixtures::renewal_order(1)),
                ca_reached,
                heard_at,
            };
            let s = lookup_view(&open(Scan::Idle, kept), None)
                .unwrap()
                .result
                .unwrap();
            assert_eq!((s.source, s.heard.as_str()), (source, said));
            assert!(!s.contact.is_empty(), "the kiosk's own copy, masked");
        }
    }

    #[test]
    fn an_order_awaiting_payment_offers_the_qr_and_the_paying_screen_says_until_when() {
        let order = fixtures::application_order(4);
        let found = |status| Found::AtCa {
            order: Box::new(OrderAtCa {
                number: order.number,
                lifecycle: order.lifecycle(),
                status,
                reason: None,
                amount: order.amount,
                created_at: order.created_at,
                invoice_url: None,
            }),
            mobile: fixtures::MOBILE.parse().unwrap(),
        };
        let with = |status, pay| {
            lookup_view(
                &LookupState::Open {
                    session: SessionId(1),
                    scan: Scan::Idle,
                    found: found(status),
                    pay,
                },
                None,
            )
            .unwrap()
        };
        use kiosk_domain::order::status::OrderStatus as O;
        let idle = with(O::AwaitingPayment, Pay::Idle);
        assert!(idle.payable && idle.paying.is_none());
        assert!(!with(O::PendingReview, Pay::Idle).payable);
        let opening = with(O::AwaitingPayment, Pay::Opening);
        assert!(!opening.payable);
        let paying = opening.paying.unwrap();
        assert_eq!((paying.qr_payload, paying.expires.as_str()), (None, ""));
        let qr = kiosk_domain::ports::ca::PaymentQr {
            payment_id: "pay_1".to_owned(),
            payload: "https://ca.example.cn/pay/pay_1".to_owned(),
            expires_at: time::macros::datetime!(2026-12-05 14:07 +8),
        };
        let waiting = with(O::AwaitingPayment, Pay::Waiting(qr)).paying.unwrap();
        assert_eq!(waiting.expires, "14:07");
        assert_eq!(waiting.amount, order.amount.to_string());
        assert!(waiting.qr_payload.is_some());
        let paid = with(O::InProgress, Pay::Paid);
        assert_eq!(paid.pay_note, LookupPayNote::Paid);
        assert!(!paid.payable && paid.paying.is_none());
        let unavailable = with(O::AwaitingPayment, Pay::Unavailable);
        assert_eq!(unavailable.pay_note, LookupPayNote::Unavailable);
        assert!(unavailable.payable, "may be tried again");
    }

    #[test]
    fn the_transfer_form_names_the_first_field_to_fix() {
        use crate::RemitProblem as P;
        assert_eq!(parse_transfer(" ", "X").unwrap_err(), P::PayerEmpty);
        assert_eq!(parse_transfer("李四", "").unwrap_err(), P::ReferenceEmpty);
        let long = "9".repeat(65);
        assert_eq!(
            parse_transfer("李四", &long).unwrap_err(),
            P::ReferenceInvalid
        );
        let (payer, reference) = parse_transfer(" 李四 ", " BANK-1 ").unwrap();
        assert_eq!((payer.as_str(), reference.as_str()), ("李四", "BANK-1"));
    }
}
