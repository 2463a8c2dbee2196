//! 呼叫工作人员: the calls kiosks make for staff, as the CA holds them
//! (made, acknowledged by a member of staff, withdrawn by the kiosk).

use super::StorageResult;
use kiosk_domain::flow::staff_call::CallStatus;
use time::OffsetDateTime;

/// A call to make, unless its kiosk has too many open already.
#[derive(Debug, Clone)]
pub struct NewStaffCall<'a> {
    /// The kiosk code (one spelling, upper case).
    pub kiosk: &'a str,
    /// The call's id (16 lower-case hex digits).
    pub call: &'a str,
    /// The screen's wire name.
    pub screen: &'a str,
    /// The CA's clock: when it received the call.
    pub now: OffsetDateTime,
    /// At most this many open calls per kiosk (counted with this one)...
    pub max_open: u32,
    /// ...among those received since this time: a call left open by a
    /// kiosk that lost power (it cannot withdraw what it forgot) stops
    /// counting, so it never blocks the next customer's call.
    pub counted_since: OffsetDateTime,
}

/// A call as the CA holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredStaffCall {
    pub kiosk: String,
    pub call: String,
    pub screen: String,
    pub status: CallStatus,
    pub received_at: OffsetDateTime,
    pub acknowledged_at: Option<OffsetDateTime>,
    /// Who acknowledged it (the staff certificate's name, or `local`): for
    /// the back office only, never in a kiosk's answer.
    pub acknowledged_by: Option<String>,
    pub withdrawn_at: Option<OffsetDateTime>,
}

/// What became of making a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutCallOutcome {
    Created(StoredStaffCall),
    /// The same call (same id, same screen) was made before: as it is now.
    Existing(StoredStaffCall),
    /// The id was used before on this kiosk for another screen.
    ScreenConflict,
    /// The kiosk has `max_open` open calls already; nothing was kept.
    TooManyOpen,
}

/// The calls' storage. Each method is one atomic step.
pub trait StaffCallStorage {
    /// Makes the call; the open-call limit is counted in the same
    /// transaction as the insert.
    fn put_staff_call(&self, call: &NewStaffCall<'_>) -> StorageResult<PutCallOutcome>;
    /// The call, `None` if the kiosk never made it.
    fn staff_call(&self, kiosk: &str, call: &str) -> StorageResult<Option<StoredStaffCall>>;
    /// The kiosk withdraws it (open or acknowledged: withdrawn, the
    /// acknowledgement kept; withdrawn already: unchanged). `None` for an
    /// unknown call.
    fn withdraw_staff_call(
        &self,
        kiosk: &str,
        call: &str,
        now: OffsetDateTime,
    ) -> StorageResult<Option<StoredStaffCall>>;
    /// A member of staff `by` is coming (open: acknowledged now; otherwise
    /// unchanged). `None` for an unknown call.
    fn acknowledge_staff_call(
        &self,
        kiosk: &str,
        call: &str,
        by: &str,
        now: OffsetDateTime,
    ) -> StorageResult<Option<StoredStaffCall>>;
    /// The calls not withdrawn: every open one, then those acknowledged
    /// since `acknowledged_since`; each group oldest first, at most `limit`.
    fn staff_calls(
        &self,
        acknowledged_since: OffsetDateTime,
        limit: u32,
    ) -> StorageResult<Vec<StoredStaffCall>>;
}
