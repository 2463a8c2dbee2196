//! The staff CA's revocation lists the CA publishes (`GET /v1/staff/crl`),
//! which the kiosk keeps to check staff certificates at sign-in.

use crate::http::{CaClient, CallError};
use kiosk_domain::ports::ca::CaError;
use kiosk_domain::ports::staff::StaffRevocationSource;
use kiosk_sync_wire::hex;

/// The route (not in `kiosk_sync_wire::paths`).
const STAFF_CRL: &str = "/v1/staff/crl";

/// The answer of `GET /v1/staff/crl`.
#[derive(Debug, serde::Deserialize)]
struct StaffCrlsV1 {
    crls_der_hex: Vec<String>,
}

impl CaClient {
    /// `GET /v1/staff/crl`: the staff CA's revocation lists (DER), in the
    /// CA's order; empty when the CA publishes none (404). Not verified
    /// here: the kiosk checks each against its staff CA.
    ///
    /// # Errors
    /// The CA could not be reached, refused, or answered nonsense (no
    /// list, or one that is not hex).
    pub async fn staff_revocation_lists(&self) -> Result<Vec<Vec<u8>>, CallError> {
        let response = self.http.get(self.url(STAFF_CRL)).send().await;
        let lists: StaffCrlsV1 = match Self::answer(response).await {
            Ok((_, lists)) => lists,
            Err(CallError::Status { status: 404, .. }) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        if lists.crls_der_hex.is_empty() {
            return Err(CallError::Invalid(
                "the CA sent no revocation list".to_owned(),
            ));
        }
        lists
            .crls_der_hex
            .iter()
            .map(|h| {
                hex::decode(h)
                    .filter(|b| !b.is_empty())
                    .ok_or_else(|| CallError::Invalid("a revocation list is not hex".to_owned()))
            })
            .collect()
    }
}

impl StaffRevocationSource for CaClient {
    async fn staff_revocation_lists(&self) -> Result<Vec<Vec<u8>>, CaError> {
        CaClient::staff_revocation_lists(self)
            .await
            .map_err(crate::ca_port::ca_error)
    }
}
