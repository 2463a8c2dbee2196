//! Exponential backoff with full jitter, in integer milliseconds:
//! `delay = random(0 ..= min(cap, base * 2^attempts))`.

use std::time::Duration;

/// A small seedable generator (SplitMix64): jitter needs spread, not secrecy,
/// and tests need to replay it.
#[derive(Debug, Clone)]
pub struct Jitter(u64);

impl Jitter {
    #[must_use]
    pub fn seeded(seed: u64) -> Self {
        Self(seed)
    }

    /// Seeded from the process's hash randomness.
    #[must_use]
    pub fn from_entropy() -> Self {
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(0x006b_696f_736b);
        Self(h.finish())
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..=max`.
    pub fn up_to(&mut self, max: u64) -> u64 {
        match max.checked_add(1) {
            Some(span) => self.next_u64() % span,
            None => self.next_u64(),
        }
    }
}

/// The backoff policy.
#[derive(Debug, Clone)]
pub struct Backoff {
    pub base_ms: u64,
    pub cap_ms: u64,
    jitter: Jitter,
}

impl Backoff {
    #[must_use]
    pub fn new(base_ms: u64, cap_ms: u64, jitter: Jitter) -> Self {
        Self {
            base_ms,
            cap_ms,
            jitter,
        }
    }

    /// The ceiling after `attempts` failures: `min(cap, base * 2^attempts)`.
    #[must_use]
    pub fn ceiling_ms(&self, attempts: u32) -> u64 {
        let factor = 1_u64.checked_shl(attempts.min(63)).unwrap_or(u64::MAX);
        self.base_ms.saturating_mul(factor).min(self.cap_ms)
    }

    /// The delay before the next attempt, after `attempts` failures.
    pub fn delay(&mut self, attempts: u32) -> Duration {
        let ceiling = self.ceiling_ms(attempts);
        Duration::from_millis(self.jitter.up_to(ceiling))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_jitter_stays_under_the_capped_ceiling_and_spreads() {
        let mut b = Backoff::new(100, 5_000, Jitter::seeded(7));
        assert_eq!(b.ceiling_ms(0), 100);
        assert_eq!(b.ceiling_ms(3), 800);
        assert_eq!(b.ceiling_ms(10), 5_000);
        assert_eq!(b.ceiling_ms(200), 5_000);
        let delays: Vec<u64> = (0..200)
            .map(|_| u64::try_from(b.delay(10).as_millis()).unwrap_or(u64::MAX))
            .collect();
        assert!(delays.iter().all(|d| *d <= 5_000));
        assert!(delays.iter().any(|d| *d < 1_000), "full jitter reaches low");
        assert!(delays.iter().any(|d| *d > 4_000), "and high");
    }

    #[test]
    fn the_same_seed_replays() {
        let mut a = Backoff::new(10, 1_000, Jitter::seeded(42));
        let mut b = Backoff::new(10, 1_000, Jitter::seeded(42));
        for n in 0..20 {
            assert_eq!(a.delay(n), b.delay(n));
        }
    }
}
