//! A customer typing unit names on the keyboard's pinyin composer, counting
//! every tap (letters, candidate picks, page turns, erasures). Shared by the
//! keyboard bench and the typing-cost test (`#[path]`-included by both).
#![allow(dead_code, reason = "each includer uses part")]

use kiosk_ui::keyboard::pinyin::{Candidate, Composer};

/// Ten registered unit names, as a company registry spells them, with the
/// words a customer thinks in and each word's syllables.
pub const NAMES: [&[(&str, &str)]; 10] = [
    &[
        ("山西", "shan xi"),
        ("焦煤", "jiao mei"),
        ("集团", "ji tuan"),
        ("有限责任公司", "you xian ze ren gong si"),
    ],
    &[
        ("太原", "tai yuan"),
        ("重型", "zhong xing"),
        ("机械", "ji xie"),
        ("集团", "ji tuan"),
        ("有限公司", "you xian gong si"),
    ],
    &[
        ("晋能", "jin neng"),
        ("控股", "kong gu"),
        ("装备", "zhuang bei"),
        ("制造", "zhi zao"),
        ("集团", "ji tuan"),
        ("有限公司", "you xian gong si"),
    ],
    &[
        ("山西省", "shan xi sheng"),
        ("交通", "jiao tong"),
        ("建设", "jian she"),
        ("工程", "gong cheng"),
        ("有限公司", "you xian gong si"),
    ],
    &[
        ("大同", "da tong"),
        ("煤矿", "mei kuang"),
        ("集团", "ji tuan"),
        ("有限责任公司", "you xian ze ren gong si"),
    ],
    &[
        ("太原", "tai yuan"),
        ("钢铁", "gang tie"),
        ("集团", "ji tuan"),
        ("有限公司", "you xian gong si"),
    ],
    &[
        ("山西", "shan xi"),
        ("建设", "jian she"),
        ("投资", "tou zi"),
        ("集团", "ji tuan"),
        ("有限公司", "you xian gong si"),
    ],
    &[
        ("潞安", "lu an"),
        ("化工", "hua gong"),
        ("集团", "ji tuan"),
        ("有限公司", "you xian gong si"),
    ],
    &[
        ("山西", "shan xi"),
        ("汾酒", "fen jiu"),
        ("股份", "gu fen"),
        ("有限公司", "you xian gong si"),
    ],
    &[
        ("阳泉", "yang quan"),
        ("煤业", "mei ye"),
        ("集团", "ji tuan"),
        ("有限责任公司", "you xian ze ren gong si"),
    ],
];

/// The name a row of words spells.
#[must_use]
pub fn name(words: &[(&str, &str)]) -> String {
    words.iter().map(|(w, _)| *w).collect()
}

/// Hanzi the candidate bar shows per page (a portrait screen's bar holds
/// about twelve; a candidate costs its length and one for its key).
pub const PAGE_CHARS: usize = 12;

fn pages(candidates: &[Candidate]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut first = 0;
    while first < candidates.len() {
        let mut used = 0;
        let mut end = first;
        for c in &candidates[first..] {
            let width = c.text.chars().count() + 1;
            if end > first && used + width > PAGE_CHARS {
                break;
            }
            used += width;
            end += 1;
        }
        out.push(first..end);
        first = end;
    }
    out
}

/// How a customer types: the first letter of each syllable, or every letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    Initials,
    FullPinyin,
}

/// Picks, within `max_pages` pages, the longest candidate that starts
/// `left`; the taps it took (page turns and the pick), or `None`.
fn pick_longest(composer: &mut Composer, left: &mut String, max_pages: usize) -> Option<usize> {
    let candidates = composer.candidates().to_vec();
    for (page, range) in pages(&candidates).into_iter().enumerate().take(max_pages) {
        let best = range
            .clone()
            .filter(|&i| left.starts_with(candidates[i].text.as_str()))
            .max_by_key(|&i| candidates[i].text.chars().count());
        if let Some(i) = best {
            let text = composer.pick(i, true)?;
            *left = left[text.len()..].to_owned();
            return Some(page + 1);
        }
    }
    None
}

/// Types `words` the given way, word by word, as a customer who watches
/// the bar: a word the bar already offers (what follows the last pick) is
/// taken at once; else its letters (the first of each syllable, or all),
/// then the longest candidate that starts what is still wanted (paging up
/// to three pages); when initials find nothing, they are erased and the
/// word typed in full. Picks are made as in a unit-name field (`learn`:
/// what follows is offered); `learn` also teaches the engine, as the kiosk
/// does. The taps it took, and the text typed.
pub fn type_name(words: &[(&str, &str)], way: Way) -> (usize, String) {
    let mut composer = Composer::default();
    let mut typed = String::new();
    let mut taps = 0;
    let target = name(words);
    for (word, syllables) in words {
        let done = typed.len();
        if !target[done..].starts_with(word) {
            continue; // an earlier pick took it already
        }
        let end = done + word.len();
        // Offered already?
        let mut left = target[done..].to_owned();
        if composer.input().is_empty()
            && let Some(t) = pick_longest(&mut composer, &mut left, 1)
        {
            taps += t;
            typed = target[..target.len() - left.len()].to_owned();
            if typed.len() >= end {
                continue;
            }
        }
        let letters: String = match way {
            Way::Initials => syllables
                .split(' ')
                .filter_map(|s| s.chars().next())
                .collect(),
            Way::FullPinyin => syllables.split(' ').collect(),
        };
        // Only the syllables not yet typed (a pick may have taken a part).
        let skip = target[done..typed.len().max(done)].chars().count();
        let letters: String = match way {
            Way::Initials => letters.chars().skip(skip).collect(),
            Way::FullPinyin => syllables.split(' ').skip(skip).collect(),
        };
        for c in letters.chars() {
            composer.push(c);
            taps += 1;
        }
        while typed.len() < end && !composer.input().is_empty() {
            let mut left = target[typed.len()..].to_owned();
            match pick_longest(&mut composer, &mut left, 3) {
                Some(t) => taps += t,
                None => {
                    // Not offered: erase and type the rest of the word in full.
                    taps += composer.input().len();
                    composer.clear();
                    let skip = target[done..typed.len()].chars().count();
                    for c in syllables.split(' ').skip(skip).collect::<String>().chars() {
                        composer.push(c);
                        taps += 1;
                    }
                    let t = pick_longest(&mut composer, &mut left, 10)
                        .unwrap_or_else(|| panic!("{word} not offered for {syllables}"));
                    taps += t;
                }
            }
            typed = target[..target.len() - left.len()].to_owned();
        }
        // Letters left over (a pick covered more than was meant): erased.
        if !composer.input().is_empty() {
            taps += composer.input().len();
            composer.clear();
        }
    }
    (taps, typed)
}
