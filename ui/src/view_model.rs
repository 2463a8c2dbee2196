//! The view models, at the paths the composition root has always used.
//!
//! Each screen's view model lives beside its adapter
//! (`screens/<screen>/view.rs`); this module gathers them. A view model is a
//! pure function of domain values into the screens' vocabulary
//! (`ui/vocabulary.slint`: enums, numbers, dates, order numbers, names,
//! masked values), never a sentence: every text is an `@tr` in the `.slint`
//! files. Personal data is masked wherever the customer no longer needs to
//! read it in full: the certificate list (USCC), the order lookup (name,
//! mobile, e-mail), 确认信息 once submitted. 确认信息 shows the details on
//! file in full while they are being checked and changed, because that is
//! its purpose. `fields` turns the domain's parse errors into what a field
//! shows beside it.
#![forbid(unsafe_code)]

pub use crate::screens::app::view::{
    Device, Notice, StatusView, StripView, notice_message, strip_view,
};
pub use crate::screens::certificates::view::{
    CertificatesView, certificate_item, certificates_view,
};
pub use crate::screens::confirm::view::{
    ConfirmView, FormChecks, FormTexts, check_form, confirm_view, submitted_view,
};
pub use crate::screens::counter::view::{CounterView, counter_view};
pub use crate::screens::done::view::{DoneView, done_view};
pub use crate::screens::environment::view::{BlockedView, blocked_view};
pub use crate::screens::fields;
pub use crate::screens::install::view::{InstallView, install_view};
pub use crate::screens::lookup::view::{
    FormProblem, LookupView, lookup_view, order_summary, parse_lookup,
};
pub use crate::screens::payment::view::{PaymentView, payment_view, remaining};
pub use crate::screens::pin::view::{PinView, pin_view, pin_warning};
pub use crate::screens::recovery::view::{RecoveryView, recovery_view};
pub use crate::screens::renewal::view::{RenewalView, ViewContext, renewal_view};
