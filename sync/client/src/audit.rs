//! The kiosk's audit log copied to the CA ([`kiosk_sync_wire::audit`]):
//! the CA's head, one entry sent, and staff's view of a kiosk's copy.

use crate::http::{CaClient, CallError};
use kiosk_sync_wire::audit::{AuditEntryV1, AuditHeadV1, AuditPageV1};
use kiosk_sync_wire::paths;

impl CaClient {
    /// `GET /v1/kiosks/{kiosk}/audit`: how far the CA's copy goes.
    ///
    /// # Errors
    /// The CA could not be reached, refused, or answered nonsense.
    pub async fn audit_head(&self, kiosk: &str) -> Result<AuditHeadV1, CallError> {
        let response = self.http.get(self.url(&paths::audit(kiosk))).send().await;
        Self::answer(response).await.map(|(_, head)| head)
    }

    /// `PUT /v1/kiosks/{kiosk}/audit/{seq}`: entry `seq` (the same again
    /// is answered as before).
    ///
    /// # Errors
    /// As [`CaClient::audit_head`]; 409 `audit_conflict` for an entry that
    /// does not continue the CA's copy.
    pub async fn put_audit(
        &self,
        kiosk: &str,
        seq: u64,
        entry: &AuditEntryV1,
    ) -> Result<AuditHeadV1, CallError> {
        let response = self
            .http
            .put(self.url(&paths::audit_entry(kiosk, seq)))
            .json(entry)
            .send()
            .await;
        Self::answer(response).await.map(|(_, head)| head)
    }

    /// `GET /v1/admin/kiosks/{kiosk}/audit` (staff): the entries after
    /// `after`, at most `limit`, and the conflicts recorded.
    ///
    /// # Errors
    /// As [`CaClient::audit_head`].
    pub async fn admin_audit(
        &self,
        kiosk: &str,
        after: u64,
        limit: u32,
    ) -> Result<AuditPageV1, CallError> {
        let url = format!(
            "{}?after={after}&limit={limit}",
            self.url(&paths::admin_audit(kiosk))
        );
        let response = self.http.get(url).send().await;
        Self::answer(response).await.map(|(_, page)| page)
    }
}
