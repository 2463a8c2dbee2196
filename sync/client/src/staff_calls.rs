//! 呼叫工作人员 over the protocol ([`kiosk_sync_wire::staff_call`]): the
//! kiosk's [`StaffCallPort`], and the staff side's list and acknowledgement
//! (the back office's API, for staff tools and tests).

use crate::http::{CaClient, CallError};
use kiosk_domain::flow::staff_call::{CallFailure, CallOutcome, StaffCall};
use kiosk_domain::ports::staff_call::StaffCallPort;
use kiosk_sync_wire::paths;
use kiosk_sync_wire::staff_call::{StaffCallStateV1, StaffCallV1};

impl CaClient {
    /// `PUT /v1/kiosks/{kiosk}/staff-calls/{call}`: makes the call (the
    /// same call again is answered as the CA holds it).
    ///
    /// # Errors
    /// The CA could not be reached, refused, or answered nonsense.
    pub async fn put_staff_call(&self, call: &StaffCall) -> Result<StaffCallStateV1, CallError> {
        let path = paths::staff_call(call.kiosk.as_str(), &call.id.to_string());
        let response = self
            .http
            .put(self.url(&path))
            .json(&StaffCallV1::new(call.screen))
            .send()
            .await;
        Self::answer(response).await.map(|(_, state)| state)
    }

    /// `GET /v1/kiosks/{kiosk}/staff-calls/{call}`: how the CA holds it.
    ///
    /// # Errors
    /// As [`CaClient::put_staff_call`]; 404 for a call the CA does not have.
    pub async fn get_staff_call(&self, call: &StaffCall) -> Result<StaffCallStateV1, CallError> {
        let path = paths::staff_call(call.kiosk.as_str(), &call.id.to_string());
        let response = self.http.get(self.url(&path)).send().await;
        Self::answer(response).await.map(|(_, state)| state)
    }

    /// `POST /v1/kiosks/{kiosk}/staff-calls/{call}/withdraw`.
    ///
    /// # Errors
    /// As [`CaClient::get_staff_call`].
    pub async fn withdraw_call(&self, call: &StaffCall) -> Result<StaffCallStateV1, CallError> {
        let path = paths::staff_call_withdraw(call.kiosk.as_str(), &call.id.to_string());
        let response = self
            .http
            .post(self.url(&path))
            .json(&serde_json::json!({}))
            .send()
            .await;
        Self::answer(response).await.map(|(_, state)| state)
    }

    /// `GET /v1/admin/staff-calls` (staff): the calls not withdrawn, the
    /// oldest first.
    ///
    /// # Errors
    /// The CA could not be reached, refused, or answered nonsense.
    pub async fn staff_calls(&self) -> Result<Vec<StaffCallStateV1>, CallError> {
        let response = self
            .http
            .get(self.url(paths::ADMIN_STAFF_CALLS))
            .send()
            .await;
        Self::answer(response).await.map(|(_, calls)| calls)
    }

    /// `POST /v1/admin/staff-calls/{kiosk}/{call}/acknowledge` (staff).
    ///
    /// # Errors
    /// As [`CaClient::staff_calls`]; 404 for a call the CA does not have.
    pub async fn acknowledge_staff_call(
        &self,
        kiosk: &str,
        call: &str,
    ) -> Result<StaffCallStateV1, CallError> {
        let response = self
            .http
            .post(self.url(&paths::staff_call_acknowledge(kiosk, call)))
            .json(&serde_json::json!({}))
            .send()
            .await;
        Self::answer(response).await.map(|(_, state)| state)
    }
}

/// A call's answer in the domain's words: no answer (or a gateway's) is
/// offline; any refusal by the CA, "too many calls" included, or a state
/// the kiosk does not know is refused (the screen then does not say the
/// network is down, and the link stays online).
fn outcome(answer: Result<StaffCallStateV1, CallError>) -> CallOutcome {
    match answer {
        Ok(state) => state.status().ok_or(CallFailure::Refused),
        Err(e) => {
            tracing::info!(error = %e, "staff call not answered");
            Err(match e {
                CallError::Transport(_) => CallFailure::Offline,
                // No answer from the CA itself (a gateway's timeout, a
                // CA that cannot serve now).
                CallError::Status {
                    status: 408 | 500..=599,
                    ..
                } => CallFailure::Offline,
                // It answered and did not take the call (too many open
                // ones from this kiosk, among others): the counter.
                CallError::Status { .. } | CallError::Invalid(_) => CallFailure::Refused,
            })
        }
    }
}

impl StaffCallPort for CaClient {
    async fn call_staff(&self, call: &StaffCall) -> CallOutcome {
        outcome(self.put_staff_call(call).await)
    }

    async fn staff_call(&self, call: &StaffCall) -> CallOutcome {
        outcome(self.get_staff_call(call).await)
    }

    async fn withdraw_staff_call(&self, call: &StaffCall) -> CallOutcome {
        outcome(self.withdraw_call(call).await)
    }
}
