//! The few HTML pages the service serves (the payment simulator, the back
//! office): escaping and the page frame. No JavaScript: plain forms work in
//! any browser, including a test's headless one.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// `text` safe inside HTML text and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A zh-CN page: `title` is escaped here, `body` must be escaped already.
pub(crate) fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body>{body}</body></html>\n",
        escape(title)
    );
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        html,
    )
        .into_response()
}

const STYLE: &str = "body{font-family:sans-serif;margin:1.5em;max-width:70em}\
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .5em;text-align:left}\
.amount{font-size:2em;font-weight:bold}.msg{padding:.5em;background:#eef}\
.err{padding:.5em;background:#fee}.alert{color:#c00;font-weight:bold}button{padding:.4em 1em}";

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_markup() {
        assert_eq!(
            super::escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
