//! Slows password guessing. After [`MAX_FAILURES`] failed logins for one login name
//! (username or email, as typed) within [`WINDOW_S`], further attempts for it are refused
//! without checking the password until the oldest failure leaves the window. Keyed by what
//! was typed, so known and unknown accounts behave alike and nothing is enumerated. In
//! memory, per instance: with several instances a guesser's budget multiplies, and stays
//! bounded.

use orgsso_core::{Email, Timestamp};
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

pub const MAX_FAILURES: usize = 10;
pub const WINDOW_S: i64 = 15 * 60;
/// Login names tracked at once; a flood of new names cannot grow memory past it.
const MAX_TRACKED: usize = 100_000;

#[derive(Default)]
pub(crate) struct LoginThrottle {
    failures: Mutex<HashMap<String, VecDeque<Timestamp>>>,
}

/// An address is keyed by its canonical form, so spelling its domain in Unicode
/// or punycode (or composing its letters differently) does not buy more guesses.
fn key(login: &str) -> String {
    match Email::parse(login) {
        Ok(email) if login.contains('@') => email.as_str().to_owned(),
        _ => login.trim().to_lowercase(),
    }
}

impl LoginThrottle {
    fn with<R>(&self, f: impl FnOnce(&mut HashMap<String, VecDeque<Timestamp>>) -> R) -> R {
        // A poisoned lock only means a panic elsewhere mid-update of plain counters.
        let mut map = match self.failures.lock() {
            Ok(map) => map,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut map)
    }

    /// Seconds to wait before `login` may be tried again, or `None` when it may be now.
    pub(crate) fn wait_for(&self, login: &str, now: Timestamp) -> Option<i64> {
        self.with(|map| {
            let failures = map.get_mut(&key(login))?;
            forget_old(failures, now);
            (failures.len() >= MAX_FAILURES).then(|| {
                failures
                    .front()
                    .map_or(1, |t| t.unix() + WINDOW_S - now.unix())
                    .max(1)
            })
        })
    }

    /// Counts a failure; `true` when it is the one that locks `login` out.
    pub(crate) fn failed(&self, login: &str, now: Timestamp) -> bool {
        self.with(|map| {
            let key = key(login);
            if map.len() >= MAX_TRACKED && !map.contains_key(&key) {
                map.retain(|_, failures| {
                    forget_old(failures, now);
                    !failures.is_empty()
                });
                if map.len() >= MAX_TRACKED {
                    return false;
                }
            }
            let failures = map.entry(key).or_default();
            forget_old(failures, now);
            failures.push_back(now);
            if failures.len() > MAX_FAILURES {
                failures.pop_front();
            }
            failures.len() == MAX_FAILURES
        })
    }

    pub(crate) fn succeeded(&self, login: &str) {
        self.with(|map| map.remove(&key(login)));
    }
}

fn forget_old(failures: &mut VecDeque<Timestamp>, now: Timestamp) {
    while failures
        .front()
        .is_some_and(|t| now.unix() - t.unix() >= WINDOW_S)
    {
        failures.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Timestamp = Timestamp::from_unix(1_800_000_000);

    #[test]
    fn a_login_name_is_held_back_after_too_many_failures_until_they_age_out() {
        let throttle = LoginThrottle::default();
        for i in 0..MAX_FAILURES as i64 {
            assert_eq!(throttle.wait_for("alice", T0.plus_seconds(i)), None);
            let locks = throttle.failed("alice", T0.plus_seconds(i));
            assert_eq!(locks, i == MAX_FAILURES as i64 - 1, "failure {i}");
        }
        let t = T0.plus_seconds(60);
        assert_eq!(throttle.wait_for("alice", t), Some(WINDOW_S - 60));
        // Case and spacing do not make a new name; other names are not affected.
        assert!(throttle.wait_for("  ALICE ", t).is_some());
        assert_eq!(throttle.wait_for("bob", t), None);
        // The oldest failure leaves the window: one more try.
        assert_eq!(throttle.wait_for("alice", T0.plus_seconds(WINDOW_S)), None);
    }

    #[test]
    fn a_success_clears_the_failures() {
        let throttle = LoginThrottle::default();
        for _ in 0..MAX_FAILURES - 1 {
            throttle.failed("alice", T0);
        }
        throttle.succeeded("Alice");
        throttle.failed("alice", T0);
        assert_eq!(throttle.wait_for("alice", T0), None);
    }

    #[test]
    fn every_spelling_of_an_address_counts_against_one_budget() {
        let throttle = LoginThrottle::default();
        for i in 0..MAX_FAILURES {
            let typed = if i % 2 == 0 {
                "üser@exämple.com"
            } else {
                "U\u{308}ser@XN--EXMPLE-CUA.COM"
            };
            throttle.failed(typed, T0);
        }
        assert!(throttle.wait_for("üser@xn--exmple-cua.com", T0).is_some());
    }
}
