//! Throttling of failed sign-ins, in memory.
//!
//! A key is whatever the caller throttles on; the web layer uses one
//! limiter keyed by user name and another keyed by client address. Give the
//! address limiter a higher limit: a whole studio often shares one NAT
//! address, and one person's typos must not lock out colleagues.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Longer keys are cut to this many bytes (the caller decides their size;
/// this keeps memory bounded regardless).
const MAX_KEY_BYTES: usize = 256;

/// At most `max_failures` failed sign-ins per key within any `window`; a
/// key that reaches it is refused until its oldest failure leaves the
/// window. Memory stays bounded: idle keys are pruned, and beyond
/// `max_keys` the key idle longest is forgotten.
pub struct SignInLimiter {
    max_failures: usize,
    window: Duration,
    max_keys: usize,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl fmt::Debug for SignInLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignInLimiter")
            .field("max_failures", &self.max_failures)
            .field("window", &self.window)
            .field("max_keys", &self.max_keys)
            .field("keys", &self.lock().len())
            .finish()
    }
}

impl Default for SignInLimiter {
    /// 5 failures per 5 minutes, 10 000 keys.
    fn default() -> Self {
        SignInLimiter::new(5, Duration::from_secs(5 * 60))
    }
}

impl SignInLimiter {
    /// At most `max_failures` (at least 1) failures per key per `window`,
    /// remembering up to 10 000 keys.
    pub fn new(max_failures: u32, window: Duration) -> Self {
        SignInLimiter {
            max_failures: usize::try_from(max_failures.max(1)).unwrap_or(usize::MAX),
            window,
            max_keys: 10_000,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// Remembers at most `max_keys` (at least 1) keys.
    pub fn with_max_keys(mut self, max_keys: usize) -> Self {
        self.max_keys = max_keys.max(1);
        self
    }

    /// `Ok` when `key` may try to sign in now; otherwise how long until it
    /// may.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        self.check_at(key, Instant::now())
    }

    /// Counts a failed sign-in against `key`.
    pub fn record_failure(&self, key: &str) {
        self.record_failure_at(key, Instant::now());
    }

    /// Forgets `key`'s failures (after it signed in).
    pub fn record_success(&self, key: &str) {
        self.lock().remove(cut(key));
    }

    /// How many keys are remembered.
    pub fn tracked_keys(&self) -> usize {
        self.lock().len()
    }

    fn check_at(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let mut map = self.lock();
        let key = cut(key);
        let Some(times) = map.get_mut(key) else {
            return Ok(());
        };
        self.expire(times, now);
        if times.is_empty() {
            map.remove(key);
            return Ok(());
        }
        match times.front() {
            Some(&oldest) if times.len() >= self.max_failures => Err((oldest + self.window)
                .saturating_duration_since(now)
                .max(Duration::from_secs(1))),
            _ => Ok(()),
        }
    }

    fn record_failure_at(&self, key: &str, now: Instant) {
        let mut map = self.lock();
        let key = cut(key);
        if !map.contains_key(key) && map.len() >= self.max_keys {
            self.make_room(&mut map, now);
        }
        let times = map.entry(key.to_string()).or_default();
        self.expire(times, now);
        times.push_back(now);
        // Only the latest `max_failures` decide anything.
        while times.len() > self.max_failures {
            times.pop_front();
        }
    }

    fn expire(&self, times: &mut VecDeque<Instant>, now: Instant) {
        while times
            .front()
            .is_some_and(|&t| now.saturating_duration_since(t) >= self.window)
        {
            times.pop_front();
        }
    }

    /// Drops keys whose failures all left the window, then, if still full,
    /// the keys idle longest.
    fn make_room(&self, map: &mut HashMap<String, VecDeque<Instant>>, now: Instant) {
        map.retain(|_, times| {
            self.expire(times, now);
            !times.is_empty()
        });
        while map.len() >= self.max_keys {
            let idlest = map
                .iter()
                .min_by_key(|(_, times)| times.back().copied())
                .map(|(key, _)| key.clone());
            match idlest {
                Some(key) => map.remove(&key),
                None => break,
            };
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, VecDeque<Instant>>> {
        self.failures.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn cut(key: &str) -> &str {
    if key.len() <= MAX_KEY_BYTES {
        return key;
    }
    let mut end = MAX_KEY_BYTES;
    while !key.is_char_boundary(end) {
        end -= 1;
    }
    &key[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOW: Duration = Duration::from_secs(300);

    #[test]
    fn locks_out_after_the_limit_until_the_window_passes() {
        let limiter = SignInLimiter::new(5, WINDOW);
        let start = Instant::now();
        for i in 0..4 {
            limiter.record_failure_at("zhang", start + Duration::from_secs(i));
            assert!(limiter.check_at("zhang", start + Duration::from_secs(i)).is_ok());
        }
        limiter.record_failure_at("zhang", start + Duration::from_secs(10));
        let wait = limiter.check_at("zhang", start + Duration::from_secs(10)).unwrap_err();
        // The first failure (at 0 s) leaves the window at 300 s.
        assert_eq!(wait, Duration::from_secs(290));
        // Other keys are not affected.
        assert!(limiter.check_at("li", start + Duration::from_secs(10)).is_ok());
        assert!(limiter.check_at("zhang", start + Duration::from_secs(299)).is_err());
        assert!(limiter.check_at("zhang", start + WINDOW).is_ok());
        // One more failure now locks again: four are still in the window.
        limiter.record_failure_at("zhang", start + WINDOW);
        assert_eq!(
            limiter.check_at("zhang", start + WINDOW).unwrap_err(),
            Duration::from_secs(1)
        );
        assert!(
            limiter
                .check_at("zhang", start + WINDOW + Duration::from_secs(11))
                .is_ok()
        );
    }

    #[test]
    fn success_resets_the_count() {
        let limiter = SignInLimiter::new(3, WINDOW);
        for _ in 0..3 {
            limiter.record_failure("wang");
        }
        assert!(limiter.check("wang").is_err());
        limiter.record_success("wang");
        assert!(limiter.check("wang").is_ok());
        assert_eq!(limiter.tracked_keys(), 0);
        limiter.record_failure("wang");
        limiter.record_failure("wang");
        assert!(limiter.check("wang").is_ok());
    }

    #[test]
    fn memory_is_bounded() {
        let limiter = SignInLimiter::new(5, WINDOW).with_max_keys(3);
        let start = Instant::now();
        for (i, key) in ["a", "b", "c"].iter().enumerate() {
            for _ in 0..5 {
                limiter.record_failure_at(key, start + Duration::from_secs(i as u64));
            }
        }
        assert_eq!(limiter.tracked_keys(), 3);
        limiter.record_failure_at("d", start + Duration::from_secs(3));
        assert_eq!(limiter.tracked_keys(), 3);
        // The key idle longest was forgotten, the others still count.
        let now = start + Duration::from_secs(3);
        assert!(limiter.check_at("a", now).is_ok());
        assert!(limiter.check_at("b", now).is_err());
        assert!(limiter.check_at("c", now).is_err());
        // Keys whose failures left the window go first.
        let later = start + WINDOW + Duration::from_secs(2);
        limiter.record_failure_at("e", later);
        limiter.record_failure_at("f", later);
        assert_eq!(limiter.tracked_keys(), 3);
        let kept: std::collections::BTreeSet<String> = limiter.lock().keys().cloned().collect();
        assert_eq!(kept, ["d", "e", "f"].map(String::from).into());
        // Long keys share a bounded prefix.
        let long = "用".repeat(200);
        limiter.record_failure_at(&long, later);
        assert!(cut(&long).len() <= MAX_KEY_BYTES);
    }
}
