//! The kiosk's learned pinyin picks on disk, so that what it learned
//! survives a restart: one `pinyin<TAB>word` per line for a word pinned,
//! `pinyin<TAB>word<TAB>count` for one picked fewer times; only dictionary
//! words picked in fields that may teach (unit names, never a person's
//! name), checked again when read (lower-case pinyin letters, Hanzi only),
//! so nothing else (digits, addresses, e-mail) can be kept or brought in.
//! Written whole to a temporary file, synced and renamed: after a power cut
//! the old list or the new one is there, never half of one.
#![forbid(unsafe_code)]

use super::pinyin::{self, Learned};
use std::io::Write;
use std::path::Path;

/// At most this many picks are kept (the most recent are not known, so the
/// first ones of the list stay).
pub const MAX_PICKS: usize = 5_000;

/// The longest word kept, in Hanzi.
const MAX_WORD: usize = 16;

fn acceptable(pinyin: &str, word: &str) -> bool {
    let hanzi = word.chars().count();
    !pinyin.is_empty()
        && pinyin.len() <= MAX_WORD * 6
        && pinyin.bytes().all(|b| b.is_ascii_lowercase() || b == b'\'')
        && (1..=MAX_WORD).contains(&hanzi)
        && word.chars().all(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// The picks in `text` that may be kept, at most [`MAX_PICKS`].
#[must_use]
pub fn parse(text: &str) -> Learned {
    let mut learned = Learned::default();
    for line in text.lines() {
        if learned.pins.len() + learned.pending.len() >= MAX_PICKS {
            break;
        }
        let mut parts = line.split('\t');
        let (Some(p), Some(w)) = (parts.next(), parts.next()) else {
            continue;
        };
        if !acceptable(p, w) {
            continue;
        }
        match (parts.next().map(str::parse::<u32>), parts.next()) {
            (None, None) => learned.pins.push((p.to_owned(), w.to_owned())),
            (Some(Ok(count)), None) if count > 0 => {
                learned.pending.push((p.to_owned(), w.to_owned(), count));
            }
            _ => {}
        }
    }
    learned
}

/// The picks as the file holds them.
#[must_use]
pub fn render(learned: &Learned) -> String {
    let mut out = String::new();
    let pins = learned.pins.iter().map(|(p, w)| (p, w, None));
    let pending = learned.pending.iter().map(|(p, w, n)| (p, w, Some(*n)));
    for (p, w, count) in pins
        .chain(pending)
        .filter(|(p, w, _)| acceptable(p, w))
        .take(MAX_PICKS)
    {
        out.push_str(p);
        out.push('\t');
        out.push_str(w);
        if let Some(count) = count {
            out.push('\t');
            out.push_str(&count.to_string());
        }
        out.push('\n');
    }
    out
}

/// Teaches the dictionary the picks kept in `path` (none yet: nothing);
/// how many it took.
///
/// # Errors
/// The file exists but cannot be read.
pub fn restore(path: &Path) -> std::io::Result<usize> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(pinyin::restore_learned(parse(&text))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(e),
    }
}

/// The dictionary's learned picks, as [`save`] would write them.
#[must_use]
pub fn current() -> Learned {
    pinyin::learned()
}

/// Writes `picks` to `path` (via a synced temporary file and a rename);
/// how many were written.
///
/// # Errors
/// The file could not be written.
pub fn save(path: &Path, picks: &Learned) -> std::io::Result<usize> {
    let text = render(picks);
    let tmp = path.with_extension("tmp");
    {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(text.lines().count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_pinyin_and_hanzi_are_kept_and_read() {
        let picks = Learned {
            pins: vec![
                ("jiaomei".to_owned(), "焦煤".to_owned()),
                ("zhangsan".to_owned(), "13912345678".to_owned()),
                ("li.si@example.com".to_owned(), "李四".to_owned()),
                ("taiyuan".to_owned(), "太原A".to_owned()),
                (String::new(), "山西".to_owned()),
            ],
            pending: vec![("jituan".to_owned(), "集团".to_owned(), 2)],
        };
        let text = render(&picks);
        assert_eq!(text, "jiaomei\t焦煤\njituan\t集团\t2\n");
        assert_eq!(
            parse(
                "jiaomei\t焦煤\nbad line\nxx\t123\n\t山西\nshanxi\t山西\njituan\t集团\t2\nx\t山\t0\n"
            ),
            Learned {
                pins: vec![
                    ("jiaomei".to_owned(), "焦煤".to_owned()),
                    ("shanxi".to_owned(), "山西".to_owned())
                ],
                pending: vec![("jituan".to_owned(), "集团".to_owned(), 2)],
            }
        );
    }

    #[test]
    fn picks_survive_a_restart_through_the_file() {
        let dir = std::env::temp_dir().join(format!("kiosk-picks-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_default();
        let path = dir.join("picks.txt");
        let picks = Learned {
            pins: vec![("jiaomei".to_owned(), "焦煤".to_owned())],
            pending: Vec::new(),
        };
        assert_eq!(save(&path, &picks).ok(), Some(1));
        assert_eq!(restore(&path).ok(), Some(1));
        assert!(current().pins.contains(&picks.pins[0]));
        assert_eq!(restore(&dir.join("none.txt")).ok(), Some(0));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
