//! The domain's [`CaPort`] over the protocol: every HTTP status, problem
//! code and wire string is read here, and the kiosk's flows see only the
//! domain's words ([`CaError`], [`PaymentInfo`], [`IssuedCertificate`]).

use crate::http::{CaClient, CallError};
use kiosk_domain::ids::{MobileNumber, ResidentId};
use kiosk_domain::money::Fen;
use kiosk_domain::order::application::Catalogue;
use kiosk_domain::order::text::PersonName;
use kiosk_domain::order_number::OrderNumber;
use kiosk_domain::ports::ca::{
    CaError, CaPort, FaceVerdict, IssuedCertificate, OnFile, OnSiteIssued, OpenRenewal, OrderAtCa,
    PaymentInfo, PaymentKind, PaymentStatus, PickupAtCa, ProofAlgorithm, Refusal, Renewability,
    RenewalRequest, SealObject,
};
use kiosk_sync_wire::hex;
use kiosk_sync_wire::payment::{
    METHOD_BANK_TRANSFER, METHOD_COUNTER, METHOD_QR, PaymentV1, STATUS_EXPIRED, STATUS_PAID,
    STATUS_PENDING,
};
use kiosk_sync_wire::problem::ProblemCode;
use kiosk_sync_wire::renewal::{KeyAlgorithmV1, ProofV1, RenewalIssuedV1, RenewalRequestV1};
use time::OffsetDateTime;

/// What a failed call means for the kiosk's flows.
pub(crate) fn ca_error(e: CallError) -> CaError {
    let code = e.code();
    match e {
        CallError::Transport(kind) => CaError::Unreachable(kind),
        CallError::Invalid(what) => CaError::Invalid(what),
        CallError::Status { status, .. } => match (status, code) {
            // Busy, in flight, not now: try again.
            (408 | 409 | 425 | 429 | 500..=599, _) => {
                CaError::Unreachable(format!("HTTP {status}"))
            }
            (_, Some(c)) if c.is_transient() => CaError::Unreachable(c.as_str().to_owned()),
            (_, Some(ProblemCode::PaymentRequired)) => CaError::NotPaid,
            (_, Some(ProblemCode::StaffNotAccepted)) => CaError::Refused {
                reason: Refusal::StaffNotAccepted,
            },
            (_, Some(ProblemCode::ProofRejected)) => CaError::Refused {
                reason: Refusal::ProofRejected,
            },
            (_, Some(ProblemCode::UnknownCertificate)) => CaError::Refused {
                reason: Refusal::UnknownCertificate,
            },
            (_, Some(ProblemCode::InvalidRequest | ProblemCode::RenewalConflict)) => {
                CaError::Refused {
                    reason: Refusal::RequestRejected,
                }
            }
            (_, Some(ProblemCode::AmountMismatch | ProblemCode::AlreadyPaid)) => CaError::Refused {
                reason: Refusal::AmountMismatch,
            },
            // The order has not reached the CA yet: the outbox is on it.
            (404, Some(ProblemCode::NotFound) | None) => CaError::OrderNotYetKnown,
            _ => CaError::Refused {
                reason: Refusal::Other,
            },
        },
    }
}

/// What a refused counter payment means: as [`ca_error`], except that an
/// order paid already by another payment (409 `already_paid`, which
/// [`ca_error`] reads as "try again") is refused for good like another
/// amount: sending the same payment again will not record it.
fn counter_error(e: CallError) -> CaError {
    match e.code() {
        Some(ProblemCode::AlreadyPaid | ProblemCode::AmountMismatch) => CaError::Refused {
            reason: Refusal::AmountMismatch,
        },
        _ => ca_error(e),
    }
}

/// What a refused order cancel means: as [`ca_error`], except that a
/// paid order (409 `already_paid`, which [`ca_error`] reads as "try
/// again") is refused for good: [`Refusal::PaidAlready`]; and a status the
/// CA does not cancel from (409 `illegal_transition`) too. No answer stays
/// [`CaError::Unreachable`], the order not at the CA yet
/// [`CaError::OrderNotYetKnown`] (404).
fn cancel_error(e: CallError) -> CaError {
    match e.code() {
        Some(ProblemCode::AlreadyPaid) => CaError::Refused {
            reason: Refusal::PaidAlready,
        },
        Some(ProblemCode::IllegalTransition) => CaError::Refused {
            reason: Refusal::Other,
        },
        _ => ca_error(e),
    }
}

fn time(what: &str, text: &str) -> Result<OffsetDateTime, CaError> {
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map_err(|e| CaError::Invalid(format!("{what} {text:?}: {e}")))
}

fn payment_info(p: PaymentV1) -> Result<PaymentInfo, CaError> {
    let status = match p.status.as_str() {
        STATUS_PENDING => PaymentStatus::Pending,
        STATUS_PAID => PaymentStatus::Paid,
        STATUS_EXPIRED => PaymentStatus::Expired,
        other => return Err(CaError::Invalid(format!("payment status {other:?}"))),
    };
    let kind = match p.method.as_str() {
        METHOD_QR => PaymentKind::Qr,
        METHOD_COUNTER => PaymentKind::Counter,
        METHOD_BANK_TRANSFER => PaymentKind::BankTransfer,
        other => return Err(CaError::Invalid(format!("payment method {other:?}"))),
    };
    let order = p
        .order_number
        .parse()
        .map_err(|_| CaError::Invalid("payment order number".to_owned()))?;
    Ok(PaymentInfo {
        expires_at: time("payment expiry", &p.expires_at)?,
        paid_at: p
            .paid_at
            .as_deref()
            .map(|t| time("payment time", t))
            .transpose()?,
        id: p.id,
        order,
        amount: Fen(p.amount_fen),
        status,
        kind,
        qr_payload: p.qr_payload,
        reference: p.reference,
    })
}

fn issued_certificate(issued: RenewalIssuedV1) -> Result<IssuedCertificate, CaError> {
    let unhex = |what: &str, text: &str| {
        hex::decode(text)
            .filter(|b| !b.is_empty())
            .ok_or_else(|| CaError::Invalid(format!("{what} is not hex")))
    };
    Ok(IssuedCertificate {
        order: issued
            .number
            .parse()
            .map_err(|_| CaError::Invalid("issued order number".to_owned()))?,
        attempt: issued.attempt,
        certificate_der: unhex("the certificate", &issued.certificate_der_hex)?,
        intermediates_der: issued
            .intermediates_der_hex
            .iter()
            .map(|h| unhex("an intermediate", h))
            .collect::<Result<_, _>>()?,
    })
}

fn wire_request(request: &RenewalRequest) -> RenewalRequestV1 {
    RenewalRequestV1 {
        attempt: request.attempt,
        request_der_hex: hex::encode(&request.csr_der),
        proof: ProofV1 {
            old_certificate_der_hex: hex::encode(&request.old_certificate_der),
            signature_hex: hex::encode(&request.signature),
            algorithm: match request.algorithm {
                ProofAlgorithm::EcP256 => KeyAlgorithmV1::EcP256,
                ProofAlgorithm::Rsa { bits } => KeyAlgorithmV1::Rsa { bits },
            },
        },
    }
}

/// The answer is for what was asked (a CA that mixes orders up is not
/// believed).
fn for_attempt(
    issued: IssuedCertificate,
    order: OrderNumber,
    attempt: u32,
) -> Result<IssuedCertificate, CaError> {
    if issued.order == order && issued.attempt == attempt {
        Ok(issued)
    } else {
        Err(CaError::Invalid(
            "the certificate is for another order or attempt".to_owned(),
        ))
    }
}

fn open_renewal(open: kiosk_sync_wire::renewal::OpenRenewalV1) -> Result<OpenRenewal, CaError> {
    let invalid = |what: &str| CaError::Invalid(format!("an open renewal's {what}"));
    let (contact, invoice) = open
        .details
        .on_file()
        .map_err(|p| invalid(p.field.as_deref().unwrap_or("details")))?;
    Ok(OpenRenewal {
        number: open.number.parse().map_err(|_| invalid("number"))?,
        created_at: open.created_at,
        amount: Fen(open.amount_fen),
        serial_hex: open.details.certificate_serial_hex,
        contact,
        invoice,
        payment: payment_info(open.payment)?,
        issued_attempt: open.issued_attempt,
    })
}

fn pickup_at_ca(p: kiosk_sync_wire::onsite::PickupV1) -> Result<PickupAtCa, CaError> {
    let invalid = |what: &str| CaError::Invalid(format!("the pickup's {what}"));
    Ok(PickupAtCa {
        number: p.number.parse().map_err(|_| invalid("number"))?,
        status: p.status.into(),
        on_site: p.on_site,
        unit_name: p.unit_name.parse().map_err(|_| invalid("unit name"))?,
        uscc: p.uscc.parse().map_err(|_| invalid("USCC"))?,
        seals: p.seals,
        issued_attempt: p.issued_attempt,
    })
}

fn on_site_issued(
    issued: kiosk_sync_wire::onsite::OnSiteIssuedV1,
    order: OrderNumber,
    attempt: u32,
) -> Result<OnSiteIssued, CaError> {
    let unhex = |what: &str, text: &str| {
        hex::decode(text)
            .filter(|b| !b.is_empty())
            .ok_or_else(|| CaError::Invalid(format!("{what} is not hex")))
    };
    if issued.number != order.as_str() || issued.attempt != attempt {
        return Err(CaError::Invalid(
            "the CA answered for another order or attempt".to_owned(),
        ));
    }
    Ok(OnSiteIssued {
        order,
        attempt,
        certificate_der: unhex("the certificate", &issued.certificate_der_hex)?,
        seals: issued
            .seals
            .into_iter()
            .map(|s| {
                Ok(SealObject {
                    value: unhex("an e-seal", &s.value_hex)?,
                    label: s.label,
                })
            })
            .collect::<Result<_, CaError>>()?,
    })
}

impl CaPort for CaClient {
    async fn probe(&self) -> Result<(), CaError> {
        self.ping().await.map_err(ca_error)
    }

    async fn catalogue(&self, fetched: OffsetDateTime) -> Result<Catalogue, CaError> {
        let config = CaClient::config(self).await.map_err(ca_error)?;
        config
            .catalogue(fetched)
            .map_err(|problem| CaError::Invalid(format!("the price list: {problem}")))
    }

    async fn lookup(
        &self,
        number: OrderNumber,
        mobile: &MobileNumber,
    ) -> Result<Option<OrderAtCa>, CaError> {
        let asked = kiosk_sync_wire::lookup::LookupV1::new(&number, mobile);
        let Some(summary) = CaClient::lookup(self, &asked).await.map_err(ca_error)? else {
            return Ok(None);
        };
        let found = summary
            .into_domain()
            .map_err(|e| CaError::Invalid(format!("the order found: {e}")))?;
        if found.number == number {
            Ok(Some(found))
        } else {
            Err(CaError::Invalid("the CA found another order".to_owned()))
        }
    }

    async fn verify_face(
        &self,
        name: &PersonName,
        resident_id: &ResidentId,
        photo_jpeg: Vec<u8>,
    ) -> Result<FaceVerdict, CaError> {
        let check = kiosk_sync_wire::identity::IdentityCheckV1::new(name, resident_id, &photo_jpeg);
        let result = CaClient::identity_check(self, &check)
            .await
            .map_err(ca_error)?;
        Ok(result.into())
    }

    async fn renewability(&self, der: Vec<u8>) -> Result<Renewability, CaError> {
        use kiosk_sync_wire::renewal::RenewabilityVerdictV1 as V;
        let answer = CaClient::renewability(self, &der).await.map_err(ca_error)?;
        Ok(match answer.verdict {
            V::Renewable => Renewability::Renewable,
            V::Superseded | V::RenewedAlready => Renewability::RenewedAlready,
            V::OutsideWindow | V::UnknownCertificate => Renewability::Refused,
        })
    }

    async fn holder(&self, serial_hex: &str) -> Result<Option<OnFile>, CaError> {
        match CaClient::holder(self, serial_hex).await.map_err(ca_error)? {
            None => Ok(None),
            Some(holder) => holder.read().map(Some).map_err(|problem| {
                CaError::Invalid(format!(
                    "the holder's details on file: {}",
                    problem.field.as_deref().unwrap_or("?")
                ))
            }),
        }
    }

    async fn create_payment(
        &self,
        order: OrderNumber,
        amount: Fen,
    ) -> Result<PaymentInfo, CaError> {
        let payment = CaClient::create_payment(self, order.as_str(), amount.0)
            .await
            .map_err(ca_error)?;
        payment_info(payment)
    }

    async fn payment(&self, id: &str) -> Result<PaymentInfo, CaError> {
        payment_info(CaClient::payment(self, id).await.map_err(ca_error)?)
    }

    async fn record_counter_payment(
        &self,
        signed: kiosk_domain::ports::counter::SignedCounterPayment,
    ) -> Result<PaymentInfo, CaError> {
        let payment = CaClient::record_counter_payment(self, &signed)
            .await
            .map_err(counter_error)?;
        payment_info(payment)
    }

    async fn cancel_order(
        &self,
        signed: kiosk_domain::ports::counter::SignedOrderCancel,
    ) -> Result<(), CaError> {
        CaClient::cancel_order(self, &signed)
            .await
            .map(|_| ())
            .map_err(cancel_error)
    }

    async fn note_remittance(
        &self,
        order: OrderNumber,
        amount: Fen,
        payer: &PersonName,
        reference: &kiosk_domain::order::text::Reference,
    ) -> Result<(), CaError> {
        let note = kiosk_sync_wire::payment::RemittanceV1 {
            payer_name: payer.as_str().to_owned(),
            bank_reference: reference.as_str().to_owned(),
            amount_fen: amount.0,
        };
        CaClient::note_remittance(self, order.as_str(), &note)
            .await
            .map(|_| ())
            .map_err(ca_error)
    }

    async fn renew(
        &self,
        order: OrderNumber,
        request: &RenewalRequest,
    ) -> Result<IssuedCertificate, CaError> {
        let issued = CaClient::renew(self, order.as_str(), &wire_request(request))
            .await
            .map_err(ca_error)?;
        for_attempt(issued_certificate(issued)?, order, request.attempt)
    }

    async fn issued(
        &self,
        order: OrderNumber,
        attempt: u32,
    ) -> Result<Option<IssuedCertificate>, CaError> {
        match CaClient::issued(self, order.as_str(), attempt)
            .await
            .map_err(ca_error)?
        {
            None => Ok(None),
            Some(issued) => for_attempt(issued_certificate(issued)?, order, attempt).map(Some),
        }
    }

    async fn open_renewals(&self, serial_hex: &str) -> Result<Vec<OpenRenewal>, CaError> {
        let open = CaClient::open_renewals(self, serial_hex)
            .await
            .map_err(ca_error)?;
        open.renewals.into_iter().map(open_renewal).collect()
    }

    async fn pickup(
        &self,
        number: OrderNumber,
        mobile: &MobileNumber,
    ) -> Result<Option<PickupAtCa>, CaError> {
        let asked = kiosk_sync_wire::lookup::LookupV1::new(&number, mobile);
        match CaClient::pickup(self, &asked).await.map_err(ca_error)? {
            None => Ok(None),
            Some(found) => {
                let found = pickup_at_ca(found)?;
                if found.number == number {
                    Ok(Some(found))
                } else {
                    Err(CaError::Invalid("the CA found another order".to_owned()))
                }
            }
        }
    }

    async fn issue_on_site(
        &self,
        order: OrderNumber,
        mobile: &MobileNumber,
        attempt: u32,
        csr_der: Vec<u8>,
    ) -> Result<OnSiteIssued, CaError> {
        let request = kiosk_sync_wire::onsite::OnSiteRequestV1 {
            mobile: mobile.as_str().to_owned(),
            attempt,
            request_der_hex: hex::encode(&csr_der),
        };
        let issued = CaClient::issue_on_site(self, order.as_str(), &request)
            .await
            .map_err(ca_error)?;
        on_site_issued(issued, order, attempt)
    }

    async fn issued_on_site(
        &self,
        order: OrderNumber,
        attempt: u32,
    ) -> Result<Option<OnSiteIssued>, CaError> {
        match CaClient::issued_on_site(self, order.as_str(), attempt)
            .await
            .map_err(ca_error)?
        {
            None => Ok(None),
            Some(issued) => on_site_issued(issued, order, attempt).map(Some),
        }
    }

    async fn written_on_site(&self, order: OrderNumber, attempt: u32) -> Result<(), CaError> {
        CaClient::written_on_site(self, order.as_str(), attempt)
            .await
            .map(|_| ())
            .map_err(ca_error)
    }

    async fn renewal_installed(&self, order: OrderNumber, attempt: u32) -> Result<(), CaError> {
        CaClient::renewal_installed(self, order.as_str(), attempt)
            .await
            .map(|_| ())
            .map_err(ca_error)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;
    use kiosk_sync_wire::problem::Problem;

    fn status(status: u16, code: Option<ProblemCode>) -> CallError {
        CallError::Status {
            status,
            problem: code.map(|c| Box::new(Problem::new(c))),
            retry_after: None,
            offset: None,
        }
    }

    #[test]
    fn failures_mean_what_the_flows_need() {
        assert!(matches!(
            ca_error(CallError::Transport("connect".to_owned())),
            CaError::Unreachable(_)
        ));
        assert!(matches!(
            ca_error(status(503, None)),
            CaError::Unreachable(_)
        ));
        assert!(matches!(
            ca_error(status(429, Some(ProblemCode::TooManyRequests))),
            CaError::Unreachable(_)
        ));
        assert_eq!(
            ca_error(status(404, Some(ProblemCode::NotFound))),
            CaError::OrderNotYetKnown
        );
        assert_eq!(
            ca_error(status(402, Some(ProblemCode::PaymentRequired))),
            CaError::NotPaid
        );
        assert_eq!(
            ca_error(status(422, Some(ProblemCode::ProofRejected))),
            CaError::Refused {
                reason: Refusal::ProofRejected
            }
        );
        assert_eq!(
            ca_error(status(403, None)),
            CaError::Refused {
                reason: Refusal::Other
            }
        );
        assert_eq!(
            ca_error(status(403, Some(ProblemCode::StaffNotAccepted))),
            CaError::Refused {
                reason: Refusal::StaffNotAccepted
            }
        );
    }

    #[test]
    fn a_cancel_refused_for_its_order_or_its_staff_is_refused_for_good() {
        for (code, s, reason) in [
            (ProblemCode::AlreadyPaid, 409, Refusal::PaidAlready),
            (
                ProblemCode::StaffNotAccepted,
                403,
                Refusal::StaffNotAccepted,
            ),
            (ProblemCode::IllegalTransition, 409, Refusal::Other),
        ] {
            assert_eq!(
                cancel_error(status(s, Some(code))),
                CaError::Refused { reason },
                "{code:?}"
            );
        }
        assert_eq!(
            cancel_error(status(404, Some(ProblemCode::NotFound))),
            CaError::OrderNotYetKnown
        );
        for e in [
            CallError::Transport("connect".to_owned()),
            status(503, Some(ProblemCode::Unavailable)),
            status(403, Some(ProblemCode::Forbidden)),
        ] {
            assert!(matches!(cancel_error(e), CaError::Unreachable(_)));
        }
    }

    #[test]
    fn a_counter_payment_refused_for_its_order_or_its_staff_is_refused_for_good() {
        for (code, s, reason) in [
            (ProblemCode::AlreadyPaid, 409, Refusal::AmountMismatch),
            (ProblemCode::AmountMismatch, 422, Refusal::AmountMismatch),
            (
                ProblemCode::StaffNotAccepted,
                403,
                Refusal::StaffNotAccepted,
            ),
        ] {
            assert_eq!(
                counter_error(status(s, Some(code))),
                CaError::Refused { reason },
                "{code:?}"
            );
        }
        // The access gate's refusal: the kiosk's certificate, a
        // technician's fix (as for every call).
        assert!(matches!(
            counter_error(status(403, Some(ProblemCode::Forbidden))),
            CaError::Unreachable(_)
        ));
        assert!(matches!(
            counter_error(CallError::Transport("connect".to_owned())),
            CaError::Unreachable(_)
        ));
        assert!(matches!(
            counter_error(status(503, Some(ProblemCode::Unavailable))),
            CaError::Unreachable(_)
        ));
    }

    #[test]
    fn payments_are_read_strictly() {
        let wire = PaymentV1 {
            id: "p1".to_owned(),
            order_number: kiosk_domain::fixtures::order_number(1).to_string(),
            amount_fen: 30_000,
            status: STATUS_PAID.to_owned(),
            method: METHOD_COUNTER.to_owned(),
            qr_payload: String::new(),
            expires_at: "2026-11-23T10:15:00Z".to_owned(),
            paid_at: Some("2026-11-23T10:05:00Z".to_owned()),
            reference: Some("TILL-1".to_owned()),
        };
        let info = payment_info(wire.clone()).unwrap();
        assert_eq!(info.status, PaymentStatus::Paid);
        assert_eq!(info.kind, PaymentKind::Counter);
        assert_eq!(info.amount, Fen(30_000));
        let mut odd = wire.clone();
        odd.status = "maybe".to_owned();
        assert!(matches!(payment_info(odd), Err(CaError::Invalid(_))));
        let mut odd = wire;
        odd.expires_at = "soon".to_owned();
        assert!(matches!(payment_info(odd), Err(CaError::Invalid(_))));
    }
}
