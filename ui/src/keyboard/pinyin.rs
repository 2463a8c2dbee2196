//! Pinyin to Hanzi for the on-screen keyboard, on the `inputx-pinyin`
//! engine and its built-in dictionary.
//!
//! What the customer types is read as a row of tokens: whole syllables
//! (`shan`, `xi`) or initials standing for any syllable that starts with them
//! (`s`, `zh`; at the end of the input also any unfinished syllable, `jia`
//! for `jiao`). A word of the dictionary matches a run of tokens when its
//! syllables do, so `shanxi`, `sx`, `shanx` and `sxi` all find 山西. The bar
//! then offers, in this order: words covering everything typed, the best
//! chain of words covering everything typed (`sxjmjt` → 山西焦煤集团), and
//! words for the longest beginnings of the input (picking one leaves the rest
//! typed). A word picked three times for the same pinyin is pinned first by
//! the engine; only dictionary words are ever learned, never what a customer
//! composed, and the caller decides for which fields picks are learned at all.

use std::collections::HashMap;
use std::sync::LazyLock;

use inputx_pinyin::{PinyinEngine, VALID_SYLLABLES};

/// The engine with its embedded dictionary: built once, on first use (a
/// session that types no Chinese never pays for it).
static ENGINE: LazyLock<PinyinEngine> = LazyLock::new(|| {
    LOADED.store(true, std::sync::atomic::Ordering::Release);
    PinyinEngine::new()
});

/// Whether [`ENGINE`] was built (nothing was learned before it was).
static LOADED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Longest run of typed letters the composer reads (the engine's own
/// composition limit is 30 letters).
pub const MAX_INPUT: usize = 30;

/// The most syllables one dictionary word is matched over.
const MAX_WORD_SYLLABLES: usize = 8;
/// The most initials (or unfinished syllables) in one word: each stands for
/// many syllables, so longer runs cost too much per keystroke.
const MAX_WORD_PREFIXES: usize = 4;
/// Candidates kept per run of tokens.
const WORDS_PER_RUN: usize = 24;
/// What one more word in a chain costs, in the units of [`weight`]: more
/// than a word's frequency can earn, so fewer, longer words win, and
/// frequency (or a learned pick) decides between chains of as many words.
const CHAIN_WORD_PENALTY: i64 = 300;
/// Chains offered for the whole input.
const CHAINS: usize = 4;
/// Words of one run tried in chains.
const CHAIN_WORDS_PER_RUN: usize = 4;

/// One entry of the candidate bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The Hanzi it enters.
    pub text: String,
    /// How many typed letters it uses up (from the start of the input).
    pub consumes: usize,
    /// The dictionary words it is made of, each with its full pinyin: what a
    /// pick teaches the engine.
    words: Vec<(String, String)>,
}

/// One token of what was typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Token<'a> {
    /// Exactly this syllable.
    Syllable(&'a str),
    /// Any syllable starting with these letters.
    Prefix(&'a str),
}

/// A dictionary word found for a run of tokens.
#[derive(Debug, Clone)]
struct Found {
    word: String,
    pinyin: String,
    freq: u64,
    pinned: bool,
}

/// The composer of one field: the letters typed so far and what they offer.
#[derive(Debug, Default)]
pub struct Composer {
    input: String,
    candidates: Vec<Candidate>,
    /// Words per run of tokens, kept while the input grows letter by letter.
    cache: HashMap<String, Vec<Found>>,
}

impl Composer {
    /// An empty composer.
    pub fn new() -> Self {
        Self::default()
    }

    /// The letters typed and not yet turned into Hanzi.
    pub fn input(&self) -> &str {
        &self.input
    }

    /// The candidates for [`Self::input`], best first.
    pub fn candidates(&self) -> &[Candidate] {
        &self.candidates
    }

    /// Adds a letter (`a`-`z`, either case); anything else is ignored, as is
    /// a letter beyond [`MAX_INPUT`]. Returns whether it was taken.
    pub fn push(&mut self, letter: char) -> bool {
        if !letter.is_ascii_alphabetic() || self.input.len() >= MAX_INPUT {
            return false;
        }
        self.input.push(letter.to_ascii_lowercase());
        self.refresh();
        true
    }

    /// Removes the last letter; `false` when there was none.
    pub fn pop(&mut self) -> bool {
        let popped = self.input.pop().is_some();
        if popped {
            self.refresh();
        }
        popped
    }

    /// Forgets the letters typed (the field lost focus, the session ended).
    pub fn clear(&mut self) {
        self.input.clear();
        self.candidates.clear();
        self.cache.clear();
    }

    /// Takes candidate `index`: returns its Hanzi and keeps the letters it
    /// did not use. With `learn` (a unit's name is typed), each of its
    /// dictionary words counts as a pick for its pinyin (three picks pin it
    /// first), and once nothing is left typed the bar offers what usually
    /// follows it (the dictionary's next words, and the legal forms unit
    /// names end with).
    pub fn pick(&mut self, index: usize, learn: bool) -> Option<String> {
        let candidate = self.candidates.get(index)?.clone();
        let mut learned = false;
        if learn {
            let dict = ENGINE.dict();
            for (pinyin, word) in &candidate.words {
                learned |= dict.record_pick(pinyin, word);
            }
        }
        self.input.drain(..candidate.consumes.min(self.input.len()));
        // A word just pinned ranks differently: nothing cached may hide it.
        if self.input.is_empty() || learned {
            self.cache.clear();
        }
        self.refresh();
        if self.input.is_empty() && learn {
            // Nothing typed: how a unit's name ends, one tap away.
            self.candidates = following();
        }
        Some(candidate.text)
    }

    fn refresh(&mut self) {
        self.candidates = compose(&self.input, &mut self.cache);
    }
}

/// What the kiosk learned from picks, to keep across restarts: words pinned
/// (picked often enough to rank first) and the counts of words picked fewer
/// times. Dictionary pinyin and words only: the engine refuses anything else
/// on import.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Learned {
    pub pins: Vec<(String, String)>,
    pub pending: Vec<(String, String, u32)>,
}

/// The kiosk's learned picks.
#[must_use]
pub fn learned() -> Learned {
    if !LOADED.load(std::sync::atomic::Ordering::Acquire) {
        // Not built: nothing typed, nothing learned; not worth building it.
        return Learned::default();
    }
    let mut snapshot = ENGINE.dict().export_l0();
    // A stable order: the same learning, the same file.
    snapshot.pins.sort();
    snapshot.pick_counts.sort();
    Learned {
        pins: snapshot.pins,
        pending: snapshot.pick_counts,
    }
}

/// Restores picks saved from [`learned`]; returns how many entries the
/// dictionary accepted.
pub fn restore_learned(learned: Learned) -> usize {
    if learned == Learned::default() {
        return 0;
    }
    ENGINE.dict().import_l0(inputx_pinyin::L0Snapshot {
        pins: learned.pins,
        pick_counts: learned.pending,
    })
}

/// Whether `letters` can start a syllable anywhere but at the end of the
/// input: a consonant, or zh, ch, sh.
fn is_initial(letters: &str) -> bool {
    match letters.len() {
        1 => letters
            .bytes()
            .all(|b| b.is_ascii_lowercase() && !b"aeiouv".contains(&b)),
        2 => matches!(letters, "zh" | "ch" | "sh"),
        _ => false,
    }
}

fn is_syllable(letters: &str) -> bool {
    VALID_SYLLABLES.contains(&letters)
}

fn starts_a_syllable(letters: &str) -> bool {
    VALID_SYLLABLES.iter().any(|s| s.starts_with(letters))
}

/// The tokens that can start at byte `at` of `input`.
fn tokens_at(input: &str, at: usize) -> Vec<(Token<'_>, usize)> {
    let mut out = Vec::new();
    let rest = &input[at..];
    // Letters that spell a syllable of two or more here are that syllable
    // (`shanxi` is not s-h-an-x-i): initials only where none starts, which
    // keeps a long full-pinyin input from splitting every which way.
    let syllable_here = (2..=rest.len().min(6)).any(|len| is_syllable(&rest[..len]));
    for len in 1..=rest.len().min(6) {
        let letters = &rest[..len];
        let end = at + len;
        if is_syllable(letters) {
            out.push((Token::Syllable(letters), end));
        }
        let last = end == input.len();
        let initial = is_initial(letters) && !syllable_here;
        if (initial || (last && !is_syllable(letters) && starts_a_syllable(letters)))
            && !out.iter().any(|(t, _)| *t == Token::Prefix(letters))
        {
            out.push((Token::Prefix(letters), end));
        }
    }
    out
}

/// How much a word's frequency weighs in a chain: its bit length, so that a
/// word a thousand times more frequent is worth about ten more.
fn weight(freq: u64) -> i64 {
    i64::from(freq.saturating_add(1).ilog2()) * 4
}

/// Every run of tokens from `at`, with where it ends, up to the word limits.
fn runs_from<'a>(input: &'a str, at: usize) -> Vec<(Vec<Token<'a>>, usize)> {
    let mut out = Vec::new();
    let mut stack: Vec<(Vec<Token<'a>>, usize)> = vec![(Vec::new(), at)];
    while let Some((run, end)) = stack.pop() {
        if !run.is_empty() {
            out.push((run.clone(), end));
        }
        if run.len() >= MAX_WORD_SYLLABLES || end >= input.len() {
            continue;
        }
        let prefixes = run.iter().filter(|t| matches!(t, Token::Prefix(_))).count();
        for (token, next) in tokens_at(input, end) {
            if matches!(token, Token::Prefix(_)) && prefixes >= MAX_WORD_PREFIXES {
                continue;
            }
            let mut longer = run.clone();
            longer.push(token);
            stack.push((longer, next));
        }
    }
    out
}

fn run_key(run: &[Token<'_>]) -> String {
    let mut key = String::new();
    for token in run {
        match token {
            Token::Syllable(s) => key.push_str(s),
            Token::Prefix(p) => {
                key.push_str(p);
                key.push('*');
            }
        }
        key.push('|');
    }
    key
}

/// The dictionary words whose syllables match `run`, best first.
fn words_for(run: &[Token<'_>]) -> Vec<Found> {
    let dict = ENGINE.dict();
    let mut found = Vec::new();
    let mut scratch = Vec::new();
    // Depth-first over the syllables each token allows, pruned by whether
    // any dictionary entry starts with the pinyin built so far.
    let mut stack: Vec<(usize, String)> = vec![(0, String::new())];
    while let Some((depth, pinyin)) = stack.pop() {
        if depth == run.len() {
            dict.lookup_with_freq_into(&pinyin, &mut scratch);
            let pinned = dict.pinned_word(&pinyin);
            for (word, freq) in scratch.drain(..) {
                // One character per syllable: the dictionary also holds
                // entries whose pinyin merely spells alike.
                if word.chars().count() != run.len() {
                    continue;
                }
                let is_pinned = pinned.as_deref() == Some(word.as_str());
                found.push(Found {
                    word,
                    pinyin: pinyin.clone(),
                    freq,
                    pinned: is_pinned,
                });
            }
            continue;
        }
        let options: Vec<&str> = match run[depth] {
            Token::Syllable(s) => vec![s],
            Token::Prefix(p) => VALID_SYLLABLES
                .iter()
                .copied()
                .filter(|s| s.starts_with(p))
                .collect(),
        };
        for syllable in options {
            let next = format!("{pinyin}{syllable}");
            if dict.prefix_exists(&next) {
                stack.push((depth + 1, next));
            }
        }
    }
    found.sort_by(|a, b| b.pinned.cmp(&a.pinned).then(b.freq.cmp(&a.freq)));
    let mut seen = std::collections::HashSet::new();
    found.retain(|f| seen.insert(f.word.clone()));
    found.truncate(WORDS_PER_RUN);
    found
}

/// The legal forms a registered unit's name ends with (Company Law: limited
/// liability and joint-stock companies; the usual shorter forms, groups and
/// branches), by the pinyin of their dictionary words: the words are the
/// dictionary's.
const LEGAL_FORMS: [&[&str]; 5] = [
    &["youxiangongsi"],
    &["youxianzeren", "gongsi"],
    &["gufen", "youxiangongsi"],
    &["jituan"],
    &["fengongsi"],
];

/// [`LEGAL_FORMS`] as the dictionary spells them, looked up once.
static LEGAL_FORM_WORDS: LazyLock<Vec<String>> = LazyLock::new(|| {
    LEGAL_FORMS
        .iter()
        .filter_map(|words| {
            words
                .iter()
                .map(|pinyin| ENGINE.dict().lookup(pinyin).into_iter().next())
                .collect::<Option<String>>()
        })
        .collect()
});

/// What follows a pick in a unit's name: the legal forms. The dictionary's
/// next-word prediction (its bigram data) is not used: its continuations
/// come from general text, not from unit names, and each call reads up to a
/// megabyte of the dictionary into memory (BENCHMARKS.md, "Kiosk app").
fn following() -> Vec<Candidate> {
    LEGAL_FORM_WORDS
        .iter()
        .map(|word| Candidate {
            text: word.clone(),
            consumes: 0,
            words: Vec::new(),
        })
        .collect()
}

fn compose(input: &str, cache: &mut HashMap<String, Vec<Found>>) -> Vec<Candidate> {
    let n = input.len();
    if n == 0 {
        return Vec::new();
    }
    // Words per (start, end) of the input, through the cache.
    let mut edges: Vec<Vec<Edge>> = vec![Vec::new(); n + 1];
    let mut reachable = vec![false; n + 1];
    reachable[0] = true;
    for at in 0..n {
        if !reachable[at] {
            continue;
        }
        for (run, end) in runs_from(input, at) {
            let key = run_key(&run);
            let words = cache.entry(key).or_insert_with(|| words_for(&run)).clone();
            if words.is_empty() {
                continue;
            }
            reachable[end] = true;
            let lone_initial = matches!(run.as_slice(), [Token::Prefix(_)]);
            edges[at].push(Edge {
                end,
                lone_initial,
                words,
            });
        }
    }

    let mut out: Vec<Candidate> = Vec::new();
    let push = |out: &mut Vec<Candidate>, candidate: Candidate| {
        if !out.iter().any(|c| c.text == candidate.text) {
            out.push(candidate);
        }
    };
    let single = |found: &Found, consumes: usize| Candidate {
        text: found.word.clone(),
        consumes,
        words: vec![(found.pinyin.clone(), found.word.clone())],
    };

    // 1. The best chains of words over everything typed (a single word is
    //    a chain of one; learned words weigh most).
    for chain in chains(&edges, n, CHAINS) {
        push(
            &mut out,
            Candidate {
                text: chain.iter().map(|(w, _)| w.as_str()).collect(),
                consumes: n,
                words: chain.into_iter().map(|(w, p)| (p, w)).collect(),
            },
        );
    }

    // 2. The other words for everything typed, the learned ones first.
    let mut whole: Vec<&Found> = edges[0]
        .iter()
        .filter(|e| e.end == n)
        .flat_map(|e| e.words.iter())
        .collect();
    whole.sort_by(|a, b| b.pinned.cmp(&a.pinned).then(b.freq.cmp(&a.freq)));
    for found in whole {
        push(&mut out, single(found, n));
    }

    // 3. Words for the longest beginnings, then shorter ones.
    let mut starts: Vec<&Edge> = edges[0].iter().filter(|e| e.end < n).collect();
    starts.sort_by_key(|e| std::cmp::Reverse(e.end));
    for edge in starts {
        for found in &edge.words {
            push(&mut out, single(found, edge.end));
        }
    }
    out
}

/// Words found for one run of tokens, from where it starts to `end`.
#[derive(Debug, Clone)]
struct Edge {
    end: usize,
    /// The run is one initial: its one-character words are offered alone,
    /// never inside a chain (`z` `h` `e` … is not how anyone types 证书).
    lone_initial: bool,
    words: Vec<Found>,
}

/// A partial chain: its score and its words as (word, pinyin).
type Partial = (i64, Vec<(String, String)>);

/// The `k` best-weighted chains of words from 0 to `n`.
fn chains(edges: &[Vec<Edge>], n: usize, k: usize) -> Vec<Vec<(String, String)>> {
    let mut best: Vec<Vec<Partial>> = vec![Vec::new(); n + 1];
    best[0].push((0, Vec::new()));
    for at in 0..n {
        let here = std::mem::take(&mut best[at]);
        for edge in edges[at].iter().filter(|e| !e.lone_initial) {
            for found in edge.words.iter().take(CHAIN_WORDS_PER_RUN) {
                let gain = if found.pinned {
                    weight(u64::MAX)
                } else {
                    weight(found.freq)
                } - CHAIN_WORD_PENALTY;
                for (score, words) in &here {
                    let mut longer = words.clone();
                    longer.push((found.word.clone(), found.pinyin.clone()));
                    best[edge.end].push((score + gain, longer));
                }
            }
            let there = &mut best[edge.end];
            there.sort_by_key(|p| std::cmp::Reverse(p.0));
            there.truncate(k);
        }
        best[at] = here;
    }
    let mut out = std::mem::take(&mut best[n]);
    out.sort_by_key(|p| std::cmp::Reverse(p.0));
    out.into_iter().map(|(_, words)| words).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(letters: &str) -> Composer {
        let mut c = Composer::new();
        for l in letters.chars() {
            c.push(l);
        }
        c
    }

    fn texts(c: &Composer, n: usize) -> Vec<String> {
        c.candidates()
            .iter()
            .take(n)
            .map(|c| c.text.clone())
            .collect()
    }

    #[test]
    fn a_whole_syllable_offers_its_words() {
        let c = typed("zhengshu");
        assert_eq!(texts(&c, 1), ["证书"], "{:?}", texts(&c, 8));
    }

    #[test]
    fn initials_find_a_company_name_once_the_kiosk_has_learned_it() {
        let name = "山西焦煤集团";
        let mut c = Composer::new();
        // Three customers type it word by word, each word on the first page.
        for _ in 0..3 {
            for (pinyin, word) in [("shanxi", "山西"), ("jiaomei", "焦煤"), ("jituan", "集团")]
            {
                for l in pinyin.chars() {
                    c.push(l);
                }
                let index = c
                    .candidates()
                    .iter()
                    .position(|x| x.text == word)
                    .unwrap_or_else(|| panic!("{:?}", texts(&c, 30)));
                assert!(index < 8, "{word} on the first page: {:?}", texts(&c, 8));
                assert_eq!(c.pick(index, true).as_deref(), Some(word));
            }
        }
        for l in "shanxijiaomeijituan".chars() {
            c.push(l);
        }
        assert_eq!(texts(&c, 1), [name], "{:?}", texts(&c, 8));
        c.clear();
        // Now its initials alone bring it first.
        for l in "sxjmjt".chars() {
            c.push(l);
        }
        assert_eq!(texts(&c, 1), [name], "{:?}", texts(&c, 8));
    }

    #[test]
    fn initials_offer_words_and_chains_before_learning() {
        let c = typed("sxjm");
        assert!(c.candidates().len() > 8, "{:?}", texts(&c, 8));
        assert!(c.candidates().iter().all(|x| x.consumes <= 4));
    }

    #[test]
    fn full_pinyin_of_a_phrase_composes_it() {
        let c = typed("youxianzerengongsi");
        assert_eq!(texts(&c, 1), ["有限责任公司"], "{:?}", texts(&c, 8));
    }

    #[test]
    fn after_a_pick_in_a_unit_name_the_legal_forms_follow() {
        assert_eq!(
            *LEGAL_FORM_WORDS,
            ["有限公司", "有限责任公司", "股份有限公司", "集团", "分公司"]
        );
        let mut composer = Composer::default();
        for c in "jituan".chars() {
            composer.push(c);
        }
        let at = composer
            .candidates()
            .iter()
            .position(|c| c.text == "集团")
            .expect("集团");
        composer.pick(at, true);
        assert!(composer.input().is_empty());
        let offered: Vec<&str> = composer
            .candidates()
            .iter()
            .map(|c| c.text.as_str())
            .collect();
        assert!(offered.contains(&"有限公司"), "{offered:?}");
        assert!(
            offered.iter().all(|w| w.chars().count() >= 2),
            "no particles: {offered:?}"
        );
        // Not in a person's name.
        let mut composer = Composer::default();
        for c in "li".chars() {
            composer.push(c);
        }
        composer.pick(0, false);
        assert!(composer.candidates().is_empty());
    }

    #[test]
    fn picking_a_beginning_keeps_the_rest_typed() {
        let mut c = typed("shanxijiao");
        let index = c
            .candidates()
            .iter()
            .position(|x| x.text == "山西")
            .unwrap_or_else(|| panic!("{:?}", texts(&c, 30)));
        assert_eq!(c.pick(index, false).as_deref(), Some("山西"));
        assert_eq!(c.input(), "jiao");
    }

    #[test]
    fn three_picks_put_a_word_first() {
        let mut c = Composer::new();
        let wanted = "焦煤";
        for _ in 0..3 {
            for l in "jiaomei".chars() {
                c.push(l);
            }
            let index = c
                .candidates()
                .iter()
                .position(|x| x.text == wanted)
                .unwrap_or_else(|| panic!("{:?}", texts(&c, 30)));
            assert_eq!(c.pick(index, true).as_deref(), Some(wanted));
        }
        for l in "jiaomei".chars() {
            c.push(l);
        }
        assert_eq!(texts(&c, 1), [wanted]);
        assert!(
            learned()
                .pins
                .contains(&("jiaomei".to_owned(), wanted.to_owned()))
        );
    }

    #[test]
    fn anything_but_letters_is_refused_and_backspace_undoes() {
        let mut c = Composer::new();
        assert!(!c.push('1'));
        assert!(!c.push('山'));
        assert!(c.push('X'));
        assert_eq!(c.input(), "x");
        assert!(c.pop());
        assert!(!c.pop());
        assert!(c.candidates().is_empty());
    }
}
