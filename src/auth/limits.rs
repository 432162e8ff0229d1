//! Throttling of failed sign-ins, in memory.
//!
//! [`SignInLimiter`] counts failures per key. [`SignInThrottle`] is the
//! policy the server applies with two of them:
//! - per (name, address) pair, 5 failures in 5 minutes: guessing one
//!   account's password from one place stops there, yet failures from
//!   elsewhere never lock the account out: the right password from
//!   another address still works;
//! - per address, 20 failures in 5 minutes over all names: one place
//!   cannot spray guesses over many accounts. It is higher than the pair
//!   limit because a whole studio often sits behind one NAT address.
//!
//! A success clears only its own pair: were it to clear the address too,
//! an attacker with any account of their own could reset their address's
//! count between guesses. IPv6 clients are counted per /64 network, the
//! block one subscriber usually holds, so that hopping between their own
//! addresses does not multiply the guesses.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::net::IpAddr;
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

/// Failures allowed per (name, address) pair within [`THROTTLE_WINDOW`].
pub const PAIR_FAILURES: u32 = 5;
/// Failures allowed per address, over all names, within [`THROTTLE_WINDOW`].
pub const ADDRESS_FAILURES: u32 = 20;
/// The window both limits count failures in.
pub const THROTTLE_WINDOW: Duration = Duration::from_secs(5 * 60);

/// The sign-in policy: failures per (name, address) pair and per address
/// (see the module documentation for why these two and not per name).
#[derive(Debug)]
pub struct SignInThrottle {
    pairs: SignInLimiter,
    addresses: SignInLimiter,
}

impl Default for SignInThrottle {
    /// [`PAIR_FAILURES`] per pair and [`ADDRESS_FAILURES`] per address in
    /// [`THROTTLE_WINDOW`].
    fn default() -> Self {
        SignInThrottle::new(PAIR_FAILURES, ADDRESS_FAILURES, THROTTLE_WINDOW)
    }
}

impl SignInThrottle {
    pub fn new(pair_failures: u32, address_failures: u32, window: Duration) -> Self {
        SignInThrottle {
            pairs: SignInLimiter::new(pair_failures, window),
            addresses: SignInLimiter::new(address_failures, window),
        }
    }

    /// `Ok` when `name` may try to sign in from `address` now; otherwise
    /// how long until it may.
    pub fn check(&self, name: &str, address: IpAddr) -> Result<(), Duration> {
        let (pair, address) = keys(name, address);
        let pair_wait = self.pairs.check(&pair).err();
        let address_wait = self.addresses.check(&address).err();
        match pair_wait.max(address_wait) {
            Some(wait) => Err(wait),
            None => Ok(()),
        }
    }

    /// Counts a failed sign-in against the pair and the address.
    pub fn record_failure(&self, name: &str, address: IpAddr) {
        let (pair, address) = keys(name, address);
        self.pairs.record_failure(&pair);
        self.addresses.record_failure(&address);
    }

    /// Forgets the pair's failures; the address's stay counted.
    pub fn record_success(&self, name: &str, address: IpAddr) {
        self.pairs.record_success(&keys(name, address).0);
    }
}

/// The pair key and the address key of a sign-in. Names are compared
/// ignoring letter case and surrounding blanks, as accounts are.
fn keys(name: &str, address: IpAddr) -> (String, String) {
    let address = match address {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    };
    // The address goes first: `cut` keeps it whole however long the name.
    (format!("{address} {}", name.trim().to_lowercase()), address)
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

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn failures_from_elsewhere_never_lock_the_account() {
        let throttle = SignInThrottle::default();
        let attacker = ip("203.0.113.9");
        let owner = ip("198.51.100.7");
        for _ in 0..PAIR_FAILURES {
            assert!(throttle.check("zhang", attacker).is_ok());
            throttle.record_failure("zhang", attacker);
        }
        // The attacker's pair is locked, also in other letter case.
        assert!(throttle.check("zhang", attacker).is_err());
        assert!(throttle.check(" ZHANG ", attacker).is_err());
        // The owner, elsewhere, is not.
        assert!(throttle.check("zhang", owner).is_ok());
        // Nor is another name from the attacker's address, yet.
        assert!(throttle.check("li", attacker).is_ok());
    }

    #[test]
    fn an_address_is_limited_over_all_names() {
        let throttle = SignInThrottle::default();
        let spray = ip("203.0.113.10");
        for i in 0..ADDRESS_FAILURES {
            let name = format!("user{i}");
            assert!(throttle.check(&name, spray).is_ok(), "attempt {i}");
            throttle.record_failure(&name, spray);
        }
        let wait = throttle.check("someone-new", spray).unwrap_err();
        assert!(wait > Duration::from_secs(250) && wait <= THROTTLE_WINDOW, "{wait:?}");
        assert!(throttle.check("someone-new", ip("203.0.113.11")).is_ok());
    }

    #[test]
    fn a_success_clears_its_pair_but_not_the_address() {
        let throttle = SignInThrottle::new(3, 5, WINDOW);
        let a = ip("192.0.2.1");
        for _ in 0..3 {
            throttle.record_failure("victim", a);
        }
        assert!(throttle.check("victim", a).is_err());
        // Signing in to one's own account in between does not reset the
        // address's count.
        throttle.record_success("mine", a);
        throttle.record_failure("victim2", a);
        throttle.record_failure("victim3", a);
        assert!(throttle.check("mine", a).is_err(), "the address reached 5");
        // A success clears the pair.
        let b = ip("192.0.2.2");
        throttle.record_failure("wang", b);
        throttle.record_failure("wang", b);
        throttle.record_success("wang", b);
        throttle.record_failure("wang", b);
        throttle.record_failure("wang", b);
        assert!(throttle.check("wang", b).is_ok());
    }

    #[test]
    fn ipv6_is_counted_per_64_and_mapped_ipv4_as_ipv4() {
        let throttle = SignInThrottle::new(2, 100, WINDOW);
        throttle.record_failure("zhao", ip("2001:db8:1:2::1"));
        throttle.record_failure("zhao", ip("2001:db8:1:2:ffff::9"));
        assert!(throttle.check("zhao", ip("2001:db8:1:2::77")).is_err());
        assert!(throttle.check("zhao", ip("2001:db8:1:3::1")).is_ok());
        throttle.record_failure("qian", ip("::ffff:192.0.2.8"));
        throttle.record_failure("qian", ip("192.0.2.8"));
        assert!(throttle.check("qian", ip("192.0.2.8")).is_err());
        // A very long name cannot push the address out of the key.
        let long = "名".repeat(300);
        let (pair, _) = keys(&long, ip("192.0.2.9"));
        assert!(cut(&pair).starts_with("192.0.2.9 "));
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
