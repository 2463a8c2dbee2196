//! Account passwords: Argon2id with a random 128-bit salt per hash, kept as
//! the PHC string (which carries its own parameters, so stronger settings
//! later still verify older hashes). Hashing is slow on purpose, so it runs
//! on tokio's blocking pool, at most [`MAX_HASHING`] at a time in the
//! service (each takes its memory cost) and at most so many begun a minute
//! (`AccountOptions::hashes_per_minute`), of which one caller (a kiosk,
//! by its code) begins at most its share (`hashes_per_caller_minute`): a
//! request that finds them all busy, or the minute's all used, is told
//! when to come back (503, `Retry-After`) rather than queued, so a flood of
//! sign-ins cannot exhaust the CA's memory, threads or processors, and one
//! kiosk's flood cannot spend the others' minute. Neither the password nor
//! the hash is ever logged.

use super::{ApiError, ApiResult};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use kiosk_sync_wire::problem::ProblemCode;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Password hashes computed at once, at most.
pub const MAX_HASHING: usize = 4;

/// The right to compute one hash now; counted against the minute's budget
/// only when the hash begins (a request refused before, for a wrong SMS
/// code or a lockout, spends nothing of it).
#[derive(Debug)]
pub(crate) struct Permit {
    #[allow(dead_code, reason = "held while hashing")]
    slot: OwnedSemaphorePermit,
    minute: Arc<Mutex<Minute>>,
    caller: String,
}

impl Permit {
    /// Counts the hash that begins now, for the service and its caller.
    fn begin(&self) {
        if let Ok(mut minute) = self.minute.lock() {
            minute.roll(Instant::now());
            minute.count = minute.count.saturating_add(1);
            let mine = minute.by_caller.entry(self.caller.clone()).or_insert(0);
            *mine = mine.saturating_add(1);
        }
    }
}

/// The current minute: when it began, the hashes begun in it, and by whom.
#[derive(Debug)]
struct Minute {
    began: Instant,
    count: u32,
    by_caller: HashMap<String, u32>,
}

impl Minute {
    /// A new minute once this one has ended.
    fn roll(&mut self, now: Instant) {
        if now.duration_since(self.began) >= MINUTE {
            self.began = now;
            self.count = 0;
            self.by_caller.clear();
        }
    }
}

/// The service's hashing slots, and the hashes begun this minute.
#[derive(Debug)]
pub(crate) struct Hashing {
    slots: Arc<Semaphore>,
    per_minute: u32,
    per_caller: u32,
    minute: Arc<Mutex<Minute>>,
}

/// The length of the rate limit's window.
const MINUTE: std::time::Duration = std::time::Duration::from_secs(60);

impl Hashing {
    /// At most `per_minute` hashes begun a minute in all, `per_caller` of
    /// them by any one caller.
    pub(crate) fn new(per_minute: u32, per_caller: u32) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(MAX_HASHING)),
            per_minute,
            per_caller,
            minute: Arc::new(Mutex::new(Minute {
                began: Instant::now(),
                count: 0,
                by_caller: HashMap::new(),
            })),
        }
    }

    /// A hashing slot, taken before anything about the request is recorded
    /// (a busy answer must not count as a failed sign-in).
    ///
    /// # Errors
    /// Every slot is busy: `unavailable`, again in a second; the minute's
    /// hashes, or `caller`'s share of them, are all begun: `unavailable`,
    /// again when it ends.
    pub(crate) fn permit(&self, caller: &str) -> ApiResult<Permit> {
        let slot = Arc::clone(&self.slots).try_acquire_owned().map_err(|_| {
            tracing::warn!("password hashing busy: asked to come back");
            ApiError::new(ProblemCode::Unavailable).retry_after(1)
        })?;
        {
            let mut minute = self
                .minute
                .lock()
                .map_err(|_| crate::storage::StorageError::Poisoned)?;
            let now = Instant::now();
            minute.roll(now);
            let since = now.duration_since(minute.began);
            let mine = minute.by_caller.get(caller).copied().unwrap_or(0);
            if minute.count >= self.per_minute || mine >= self.per_caller {
                // Rounded up: back when the minute has ended, not before.
                let left = MINUTE.saturating_sub(since);
                let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
                let secs = u32::try_from(secs).unwrap_or(60).max(1);
                tracing::warn!(
                    caller,
                    "password hashing: this minute's hashes (or this caller's share) are all begun"
                );
                return Err(ApiError::new(ProblemCode::Unavailable).retry_after(secs));
            }
        }
        Ok(Permit {
            slot,
            minute: Arc::clone(&self.minute),
            caller: caller.to_owned(),
        })
    }
}

/// The cost of a new hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashCost {
    /// Memory per hash, in KiB.
    pub memory_kib: u32,
    pub iterations: u32,
}

impl Default for HashCost {
    /// OWASP's recommendation for Argon2id: 19 MiB, 2 iterations, 1 lane.
    fn default() -> Self {
        Self {
            memory_kib: 19 * 1024,
            iterations: 2,
        }
    }
}

fn hash_failed(what: &str) -> ApiError {
    tracing::error!(what, "password hashing failed");
    ApiError::new(ProblemCode::Unavailable)
}

fn hash_now(password: &str, cost: HashCost) -> ApiResult<String> {
    let params = Params::new(cost.memory_kib, cost.iterations, 1, None)
        .map_err(|_| hash_failed("parameters"))?;
    let mut salt = [0_u8; 16];
    getrandom::fill(&mut salt)?;
    let salt = SaltString::encode_b64(&salt).map_err(|_| hash_failed("salt"))?;
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| hash_failed("hash"))
}

fn verify_now(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// The PHC string of `password` with a fresh salt.
pub(crate) async fn hash(permit: Permit, password: String, cost: HashCost) -> ApiResult<String> {
    tokio::task::spawn_blocking(move || {
        permit.begin();
        let _held = permit;
        hash_now(&password, cost)
    })
    .await
    .map_err(|_| hash_failed("task"))?
}

/// Whether `password` matches `phc`. With `None` (no such account) it
/// still spends the time of a verification, so the answer's delay does not
/// tell which USCCs are registered, and answers `false`.
pub(crate) async fn verify(
    permit: Permit,
    password: String,
    phc: Option<String>,
    cost: HashCost,
) -> bool {
    static DECOY: OnceLock<Option<String>> = OnceLock::new();
    permit.begin();
    tokio::task::spawn_blocking(move || match (permit, phc) {
        (_held, Some(phc)) => verify_now(&password, &phc),
        (_held, None) => {
            let decoy = DECOY.get_or_init(|| hash_now("decoy-password-0", cost).ok());
            if let Some(decoy) = decoy {
                let _ = verify_now(&password, decoy);
            }
            false
        }
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    const CHEAP: HashCost = HashCost {
        memory_kib: 1024,
        iterations: 1,
    };

    #[test]
    fn hashes_are_salted_argon2id_and_verify() {
        let a = hash_now("abc12345", CHEAP).unwrap();
        let b = hash_now("abc12345", CHEAP).unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"), "{a}");
        assert_ne!(a, b, "a fresh salt each time");
        assert!(!a.contains("abc12345"));
        assert!(verify_now("abc12345", &a));
        assert!(!verify_now("abc12346", &a));
        assert!(!verify_now("abc12345", "not a hash"));
    }

    #[tokio::test]
    async fn at_most_so_many_hashes_a_minute_then_come_back_when_it_ends() {
        let slots = Hashing::new(3, 3);
        // Permits taken and not used (a request refused before hashing)
        // spend nothing.
        for _ in 0..5 {
            drop(slots.permit("TYA").unwrap());
        }
        for _ in 0..3 {
            slots.permit("TYA").unwrap().begin();
        }
        let spent = slots.permit("TYB").unwrap_err();
        assert_eq!(spent.problem.code, ProblemCode::Unavailable);
        let wait = spent.retry_after.unwrap();
        assert!((55..=60).contains(&wait), "{wait}");
    }

    #[tokio::test]
    async fn one_caller_begins_at_most_its_share_and_the_others_go_on() {
        let slots = Hashing::new(10, 4);
        for _ in 0..4 {
            slots.permit("TYA").unwrap().begin();
        }
        let spent = slots.permit("TYA").unwrap_err();
        assert_eq!(spent.problem.code, ProblemCode::Unavailable);
        assert!((55..=60).contains(&spent.retry_after.unwrap()));
        // Another kiosk still has its share, and the service its minute.
        for _ in 0..4 {
            slots.permit("TYB").unwrap().begin();
        }
        slots.permit("TYC").unwrap().begin();
        slots.permit("TYC").unwrap().begin();
        // Ten begun: the service's minute is spent for everyone.
        assert!(slots.permit("TYD").is_err());
    }

    #[tokio::test]
    async fn at_most_so_many_hashes_at_once_and_a_busy_request_is_told_to_come_back() {
        let slots = Hashing::new(600, 600);
        let permit = || slots.permit("TYA");
        let held: Vec<Permit> = (0..MAX_HASHING).map(|_| permit().unwrap()).collect();
        let busy = permit().unwrap_err();
        assert_eq!(busy.problem.code, ProblemCode::Unavailable);
        assert_eq!(busy.retry_after, Some(1));
        drop(held);
        let phc = hash(permit().unwrap(), "abc12345".to_owned(), CHEAP)
            .await
            .unwrap();
        assert!(verify(permit().unwrap(), "abc12345".to_owned(), Some(phc), CHEAP).await);
    }
}
