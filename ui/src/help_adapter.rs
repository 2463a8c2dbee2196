//! 帮助中心: process, FAQ by category, call staff.
#![forbid(unsafe_code)]

use crate::app_adapter::Shared;
use crate::help_content::{FaqCategory, faqs};
use crate::{AppWindow, FaqRow, HelpAdapter};
use kiosk_domain::lang::Lang;
use slint::{ComponentHandle, ModelRc, VecModel};
use std::rc::Rc;

pub(crate) fn connect(window: &AppWindow, shared: &Rc<Shared>) {
    let (s, weak) = (Rc::clone(shared), window.as_weak());
    window
        .global::<HelpAdapter>()
        .on_category_selected(move |i| {
            if let (Some(w), Some(category)) = (weak.upgrade(), FaqCategory::from_index(i)) {
                show(&w, category, s.lang());
            }
        });
}

pub(crate) fn show(window: &AppWindow, category: FaqCategory, lang: Lang) {
    let rows: Vec<FaqRow> = faqs(category, lang)
        .into_iter()
        .map(|(q, a)| FaqRow {
            question: q.into(),
            answer: a.into(),
        })
        .collect();
    window
        .global::<HelpAdapter>()
        .set_faqs(ModelRc::new(VecModel::from(rows)));
}

pub(crate) fn redraw(window: &AppWindow, lang: Lang) {
    let category = FaqCategory::from_index(window.global::<HelpAdapter>().get_category())
        .unwrap_or(FaqCategory::Certificate);
    show(window, category, lang);
}

/// Shows the 相关下载 card for `url` (hidden when empty).
pub(crate) fn set_downloads(window: &AppWindow, url: &str) {
    let a = window.global::<HelpAdapter>();
    let qr = (!url.is_empty())
        .then(|| crate::qr::qr_image(url))
        .flatten();
    a.set_downloads_url(if qr.is_some() { url.into() } else { "".into() });
    a.set_downloads_qr(qr.unwrap_or_default());
}
