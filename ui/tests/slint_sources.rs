//! Static checks of the sources: every font size comes from the theme (so
//! the minimums tested on `Theme` hold everywhere), every translatable text
//! has its English translation and every translation a text, and no Rust
//! code of the crate holds a text for the customer.
#![forbid(unsafe_code)]
#![allow(clippy::unwrap_used, reason = "tests")]

use std::path::Path;

fn slint_files(dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            slint_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "slint") {
            out.push((
                path.display().to_string(),
                std::fs::read_to_string(&path).unwrap(),
            ));
        }
    }
}

fn po() -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("lang/en/LC_MESSAGES/kiosk-ui.po"),
    )
    .unwrap()
}

/// Every `@tr` text (its msgid) of the `.slint` sources.
fn msgids() -> Vec<String> {
    let mut out = Vec::new();
    for (_, text) in sources() {
        for piece in text.split("@tr(\"").skip(1) {
            out.push(piece.split('"').next().unwrap().to_owned());
        }
    }
    out
}

fn sources() -> Vec<(String, String)> {
    let mut out = Vec::new();
    slint_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("ui"), &mut out);
    assert!(out.len() > 10);
    out
}

#[test]
fn font_sizes_come_from_the_theme() {
    for (file, text) in sources() {
        for line in text.lines().filter(|l| l.contains("font-size:")) {
            let value = line.split("font-size:").nth(1).unwrap().trim();
            assert!(
                value.starts_with("Theme.") || value.starts_with("root.font-size"),
                "{file}: literal font size in {line:?}"
            );
        }
    }
}

#[test]
fn every_translatable_text_has_english() {
    let po = po();
    let mut count = 0;
    for (file, text) in sources() {
        for piece in text.split("@tr(\"").skip(1) {
            let msgid = piece.split('"').next().unwrap();
            count += 1;
            let entry = format!("msgid \"{msgid}\"\nmsgstr \"");
            let at = po
                .find(&entry)
                .unwrap_or_else(|| panic!("{file}: no English for {msgid:?}"));
            let msgstr = po[at + entry.len()..].split('"').next().unwrap();
            assert!(!msgstr.is_empty(), "{file}: empty English for {msgid:?}");
        }
    }
    assert!(count > 80);
}

#[test]
fn every_english_text_translates_a_text_in_use_once() {
    let used = msgids();
    let po = po();
    let mut seen = std::collections::HashSet::new();
    for line in po.lines().filter(|l| l.starts_with("msgid \"")) {
        let msgid = line["msgid \"".len()..line.len() - 1].to_owned();
        if msgid.is_empty() {
            continue; // the header
        }
        assert!(used.contains(&msgid), "unused translation of {msgid:?}");
        assert!(seen.insert(msgid.clone()), "{msgid:?} translated twice");
    }
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Texts for the customer are `@tr` in the `.slint` files only: the crate's
/// Rust code (comments and tests aside) holds no Chinese at all, so no
/// sentence can be composed there in either language.
#[test]
fn no_rust_code_holds_a_text_for_the_customer() {
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    assert!(files.len() > 20);
    let cjk = |c: char| {
        ('\u{3000}'..='\u{303f}').contains(&c)
            || ('\u{4e00}'..='\u{9fff}').contains(&c)
            || ('\u{ff00}'..='\u{ffef}').contains(&c)
    };
    // Unit tests in their own `tests.rs` are tests too.
    for file in files.into_iter().filter(|f| !f.ends_with("tests.rs")) {
        let text = std::fs::read_to_string(&file).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap();
        for line in code.lines() {
            let line = line.split("//").next().unwrap();
            assert!(
                !line.chars().any(cjk),
                "{}: text for the customer in Rust: {line:?}",
                file.display()
            );
        }
    }
}
