//! Static checks of the `.slint` sources: every font size comes from the
//! theme (so the minimums tested on `Theme` hold everywhere), and every
//! translatable text has its English translation.
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
    let po = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("lang/en/LC_MESSAGES/kiosk-ui.po"),
    )
    .unwrap();
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
