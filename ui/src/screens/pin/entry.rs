//! The PIN pad's characters (digits, and letters for keys whose PIN has
//! them). They stay here (zeroed when cleared or dropped), never in a Slint
//! property: the screen only learns how many were typed.
#![forbid(unsafe_code)]

use kiosk_domain::ports::key_writer::{PIN_LEN, Pin};
use zeroize::Zeroizing;

#[derive(Default)]
pub struct PinEntry {
    digits: Zeroizing<String>,
}

impl std::fmt::Debug for PinEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PinEntry({} digits)", self.len())
    }
}

impl PinEntry {
    /// Adds one digit (ignored when not a single ASCII digit or when full).
    pub fn push(&mut self, digit: &str) {
        let mut chars = digit.chars();
        if let (Some(c), None) = (chars.next(), chars.next())
            && c.is_ascii_alphanumeric()
            && self.digits.len() < *PIN_LEN.end()
        {
            self.digits.push(c);
        }
    }

    pub fn erase(&mut self) {
        self.digits.pop();
    }

    /// Forgets every digit.
    pub fn clear(&mut self) {
        // Zeroizing<String> zeroes the old buffer when it is replaced.
        self.digits = Zeroizing::new(String::new());
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.digits.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.digits.is_empty()
    }

    /// Takes the PIN out (the entry is empty afterwards); `None` when too short.
    pub fn take(&mut self) -> Option<Pin> {
        let pin = Pin::new(&self.digits).ok();
        if pin.is_some() {
            self.clear();
        }
        pin
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_single_digits_and_letters_up_to_the_longest_pin() {
        let mut entry = PinEntry::default();
        for d in ["1", "x", "23", "", "٣", "4", "-", "Ä", " "] {
            entry.push(d);
        }
        assert_eq!(entry.len(), 3);
        for _ in 0..40 {
            entry.push("7");
        }
        assert_eq!(entry.len(), *PIN_LEN.end());
        assert_eq!(
            format!("{entry:?}"),
            format!("PinEntry({} digits)", PIN_LEN.end())
        );
    }

    #[test]
    fn a_short_pin_stays_and_a_long_enough_one_is_taken_once() {
        let mut entry = PinEntry::default();
        entry.push("1");
        assert!(entry.take().is_none());
        assert_eq!(entry.len(), 1, "too short: still there to finish");
        for d in ["2", "3", "4"] {
            entry.push(d);
        }
        entry.erase();
        entry.push("9");
        let pin = entry.take().unwrap();
        assert_eq!(pin.expose(), b"1239");
        assert!(entry.is_empty());
        assert!(entry.take().is_none());
    }
}
