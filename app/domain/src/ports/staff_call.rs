//! The CA's side of 呼叫工作人员 ([`crate::flow::staff_call`]): a call made,
//! looked at, withdrawn. Each answers how the CA holds the call; a failure
//! is [`CallFailure::Offline`] when the CA did not answer, else
//! [`CallFailure::Refused`].

use crate::flow::staff_call::{CallOutcome, StaffCall};
use std::future::Future;

pub trait StaffCallPort: Clone + Send + Sync + 'static {
    /// Makes the call (idempotent: the same call again changes nothing).
    fn call_staff(&self, call: &StaffCall) -> impl Future<Output = CallOutcome> + Send;
    /// How the CA holds the call now.
    fn staff_call(&self, call: &StaffCall) -> impl Future<Output = CallOutcome> + Send;
    /// The customer left: staff need not come.
    fn withdraw_staff_call(&self, call: &StaffCall) -> impl Future<Output = CallOutcome> + Send;
}
