//! SplitMix64: a tiny seedable generator, so that every random kill time and
//! every generated file is the same on every run and a failure can be replayed.

/// The generator; the seed is its whole state.
#[derive(Debug, Clone)]
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// A number in `low..=high`.
    pub fn between(&mut self, low: usize, high: usize) -> usize {
        let span = u64::try_from(high - low + 1).unwrap_or(u64::MAX);
        low + usize::try_from(self.below(span)).unwrap_or(0)
    }

    /// `len` bytes starting with `signature`, the rest pseudo-random.
    pub fn file(&mut self, signature: &[u8], len: usize) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(len + 8);
        bytes.extend_from_slice(signature);
        while bytes.len() < len {
            bytes.extend_from_slice(&self.next_u64().to_le_bytes());
        }
        bytes.truncate(len);
        bytes
    }
}
