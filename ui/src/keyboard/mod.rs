//! The on-screen keyboard's adapter: key presses become key events for the
//! focused field (Slint's `virtual_keyboard` pattern), pinyin letters go to
//! the [`pinyin::Composer`] until a candidate is picked, and the candidate bar
//! is paged to what fits its width.
#![forbid(unsafe_code)]

pub mod memory;
pub mod pinyin;

use crate::{AppWindow, KeyboardAdapter};
use pinyin::Composer;
use slint::platform::{Key, WindowEvent};
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};
use std::cell::RefCell;
use std::rc::Rc;

/// The composer and the page of candidates shown.
#[derive(Debug, Default)]
struct State {
    composer: Composer,
    /// Index of the first candidate on the page shown.
    first: usize,
    /// Index of the first candidate of each earlier page.
    earlier: Vec<usize>,
}

/// The candidates from `first` that fit in `chars` Hanzi (one at least).
fn page(candidates: &[pinyin::Candidate], first: usize, chars: usize) -> usize {
    let mut used = 0;
    let mut count = 0;
    for candidate in candidates.iter().skip(first) {
        // A key's padding costs about one Hanzi.
        let width = candidate.text.chars().count() + 1;
        if count > 0 && used + width > chars {
            break;
        }
        used += width;
        count += 1;
    }
    count
}

pub(crate) fn connect(window: &AppWindow) {
    let state = Rc::new(RefCell::new(State::default()));
    let a = window.global::<KeyboardAdapter>();

    let (st, weak) = (Rc::clone(&state), window.as_weak());
    a.on_key(move |text| {
        let Some(w) = weak.upgrade() else { return };
        let pinyin_letter = composing_pinyin(&w) && text.chars().all(|c| c.is_ascii_alphabetic());
        if pinyin_letter {
            let mut s = st.borrow_mut();
            for c in text.chars() {
                s.composer.push(c);
            }
            restart(&mut s);
            show(&w, &s);
        } else {
            flush_letters(&w, &st);
            type_text(&w, text);
        }
    });

    let (st, weak) = (Rc::clone(&state), window.as_weak());
    a.on_erase(move || {
        let Some(w) = weak.upgrade() else { return };
        let mut s = st.borrow_mut();
        if s.composer.pop() {
            restart(&mut s);
            show(&w, &s);
        } else {
            // What was offered after a pick follows the text no longer.
            s.composer.clear();
            restart(&mut s);
            show(&w, &s);
            drop(s);
            type_text(&w, SharedString::from(Key::Backspace));
        }
    });

    // Space takes the first candidate while pinyin is being typed.
    let (st, weak) = (Rc::clone(&state), window.as_weak());
    a.on_space(move || {
        let Some(w) = weak.upgrade() else { return };
        if st.borrow().composer.input().is_empty() {
            flush_letters(&w, &st);
            type_text(&w, " ".into());
        } else {
            pick(&w, &st, 0);
        }
    });

    let (st, weak) = (Rc::clone(&state), window.as_weak());
    a.on_pick(move |index| {
        let Some(w) = weak.upgrade() else { return };
        let first = st.borrow().first;
        pick(&w, &st, first + usize::try_from(index).unwrap_or(0));
    });

    let (st, weak) = (Rc::clone(&state), window.as_weak());
    a.on_next_page(move || {
        let Some(w) = weak.upgrade() else { return };
        let mut s = st.borrow_mut();
        let shown = page(s.composer.candidates(), s.first, chars(&w));
        if s.first + shown < s.composer.candidates().len() {
            let first = s.first;
            s.earlier.push(first);
            s.first += shown;
        }
        show(&w, &s);
    });

    let (st, weak) = (Rc::clone(&state), window.as_weak());
    a.on_previous_page(move || {
        let Some(w) = weak.upgrade() else { return };
        let mut s = st.borrow_mut();
        if let Some(first) = s.earlier.pop() {
            s.first = first;
        }
        show(&w, &s);
    });

    let (st, weak) = (Rc::clone(&state), window.as_weak());
    a.on_focused(move || {
        let Some(w) = weak.upgrade() else { return };
        let mut s = st.borrow_mut();
        s.composer.clear();
        restart(&mut s);
        show(&w, &s);
    });
}

/// Forgets what was being composed (the session ended).
pub(crate) fn clear(window: &AppWindow) {
    let a = window.global::<KeyboardAdapter>();
    a.set_composing("".into());
    a.set_candidates(ModelRc::default());
    a.set_has_previous(false);
    a.set_has_next(false);
    a.set_pinyin(true);
}

fn composing_pinyin(w: &AppWindow) -> bool {
    let a = w.global::<KeyboardAdapter>();
    a.get_kind() == crate::FieldKind::Chinese && a.get_pinyin()
}

fn chars(w: &AppWindow) -> usize {
    usize::try_from(w.global::<KeyboardAdapter>().get_page_chars())
        .unwrap_or(1)
        .max(1)
}

fn restart(s: &mut State) {
    s.first = 0;
    s.earlier.clear();
}

fn pick(w: &AppWindow, st: &Rc<RefCell<State>>, index: usize) {
    let learn = w.global::<KeyboardAdapter>().get_learn();
    let text = {
        let mut s = st.borrow_mut();
        let text = s.composer.pick(index, learn);
        restart(&mut s);
        show(w, &s);
        text
    };
    if let Some(text) = text {
        type_text(w, text.into());
    }
}

/// Pinyin letters left when something else is typed go in as letters.
fn flush_letters(w: &AppWindow, st: &Rc<RefCell<State>>) {
    let letters = {
        let mut s = st.borrow_mut();
        let letters = s.composer.input().to_owned();
        s.composer.clear();
        restart(&mut s);
        show(w, &s);
        letters
    };
    if !letters.is_empty() {
        type_text(w, letters.into());
    }
}

/// Sends `text` to the focused field as if typed on a keyboard.
fn type_text(w: &AppWindow, text: SharedString) {
    let window = w.window();
    window.dispatch_event(WindowEvent::KeyPressed { text: text.clone() });
    window.dispatch_event(WindowEvent::KeyReleased { text });
}

fn show(w: &AppWindow, s: &State) {
    let a = w.global::<KeyboardAdapter>();
    let all = s.composer.candidates();
    let count = page(all, s.first, chars(w));
    let shown: Vec<SharedString> = all
        .iter()
        .skip(s.first)
        .take(count)
        .map(|c| c.text.as_str().into())
        .collect();
    a.set_composing(s.composer.input().into());
    a.set_candidates(ModelRc::new(VecModel::from(shown)));
    a.set_has_previous(!s.earlier.is_empty());
    a.set_has_next(s.first + count < all.len());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_holds_what_fits_and_never_nothing() {
        let mut c = Composer::new();
        for l in "shanxi".chars() {
            c.push(l);
        }
        let all = c.candidates();
        assert!(all.len() > 3);
        let n = page(all, 0, 9);
        let used: usize = all.iter().take(n).map(|c| c.text.chars().count() + 1).sum();
        assert!(used <= 9 || n == 1, "{n} candidates use {used}");
        assert_eq!(page(all, 0, 0), 1, "one candidate even in no room");
        assert_eq!(page(all, all.len(), 9), 0);
    }
}
