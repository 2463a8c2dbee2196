//! 帮助中心: the process, the FAQ by the CA's four categories (all in
//! `views/help.slint`), 相关下载 and 呼叫工作人员.
#![forbid(unsafe_code)]

use crate::{AppWindow, HelpAdapter};
use slint::ComponentHandle;

/// Shows the 相关下载 card for `url` (hidden when empty, or when it does not
/// fit a QR code).
pub(crate) fn set_downloads(window: &AppWindow, url: &str) {
    let a = window.global::<HelpAdapter>();
    let qr = (!url.is_empty())
        .then(|| crate::qr::qr_image(url))
        .flatten();
    a.set_downloads_url(if qr.is_some() { url.into() } else { "".into() });
    a.set_downloads_qr(qr.unwrap_or_default());
}
