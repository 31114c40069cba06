//! Bounds how much mail the hub sends, per address and per account, so that neither a
//! user hammering "resend" nor someone adding strangers' addresses can turn it into a
//! mail cannon. In memory, per instance, like the login throttle: with several instances
//! the budget multiplies and stays bounded.

use orgsso_core::{Email, Timestamp, UserId};
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// (window in seconds, mails allowed in it). Per address: the first link and one resend
/// (a link can get lost), then one a minute at most; ten a day.
pub const PER_ADDRESS: &[(i64, usize)] = &[(60, 2), (24 * 3600, 10)];
/// Per account, over all its addresses: an account may hold 20 addresses, so a day's
/// budget covers adding them all, and no more.
pub const PER_ACCOUNT: &[(i64, usize)] = &[(60, 5), (24 * 3600, 20)];
/// Keys tracked at once; a flood of new addresses cannot grow memory past it.
const MAX_TRACKED: usize = 100_000;

#[derive(Default)]
pub(crate) struct MailThrottle {
    sent: Mutex<HashMap<Key, VecDeque<Timestamp>>>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
enum Key {
    Address(String),
    Account(UserId),
}

impl Key {
    fn limits(&self) -> &'static [(i64, usize)] {
        match self {
            Key::Address(_) => PER_ADDRESS,
            Key::Account(_) => PER_ACCOUNT,
        }
    }
}

/// The longest window: older sends no longer count anywhere.
fn horizon() -> i64 {
    PER_ADDRESS
        .iter()
        .chain(PER_ACCOUNT)
        .map(|(w, _)| *w)
        .max()
        .unwrap_or(0)
}

impl MailThrottle {
    /// Records a mail from `account` to `to` at `now` and answers `Ok`, or records nothing
    /// and answers the seconds until it would be allowed.
    pub(crate) fn admit(&self, account: UserId, to: &Email, now: Timestamp) -> Result<(), i64> {
        let keys = [
            Key::Address(to.as_str().to_lowercase()),
            Key::Account(account),
        ];
        // A poisoned lock only means a panic elsewhere mid-update of plain timestamps.
        let mut map = match self.sent.lock() {
            Ok(map) => map,
            Err(poisoned) => poisoned.into_inner(),
        };
        let wait = keys
            .iter()
            .filter_map(|key| map.get(key).and_then(|sent| wait_for(key, sent, now)))
            .max();
        if let Some(wait) = wait {
            return Err(wait);
        }
        if map.len() + keys.len() > MAX_TRACKED {
            map.retain(|_, sent| {
                forget_old(sent, now);
                !sent.is_empty()
            });
        }
        for key in keys {
            if map.len() >= MAX_TRACKED && !map.contains_key(&key) {
                // Full of live entries: better to send than to refuse everyone.
                continue;
            }
            let sent = map.entry(key).or_default();
            forget_old(sent, now);
            sent.push_back(now);
        }
        Ok(())
    }
}

/// Seconds until every window of `key` has room again, if one is full.
fn wait_for(key: &Key, sent: &VecDeque<Timestamp>, now: Timestamp) -> Option<i64> {
    key.limits()
        .iter()
        .filter_map(|&(window, max)| {
            let recent: Vec<_> = sent
                .iter()
                .filter(|t| now.unix() - t.unix() < window)
                .collect();
            // The window has room again when its `len - max + 1`th oldest send leaves it.
            (recent.len() >= max).then(|| {
                let leaving = recent[recent.len() - max];
                (leaving.unix() + window - now.unix()).max(1)
            })
        })
        .max()
}

fn forget_old(sent: &mut VecDeque<Timestamp>, now: Timestamp) {
    let horizon = horizon();
    while sent
        .front()
        .is_some_and(|t| now.unix() - t.unix() >= horizon)
    {
        sent.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Timestamp = Timestamp::from_unix(1_800_000_000);

    fn email(s: &str) -> Email {
        Email::parse(s).unwrap()
    }

    #[test]
    fn an_address_gets_a_resend_then_one_mail_a_minute() {
        let throttle = MailThrottle::default();
        let (alice, to) = (UserId(1), email("alice@example.com"));
        assert_eq!(throttle.admit(alice, &to, T0), Ok(()));
        assert_eq!(throttle.admit(alice, &to, T0.plus_seconds(1)), Ok(()));
        assert_eq!(throttle.admit(alice, &to, T0.plus_seconds(10)), Err(50));
        // Case does not make another address.
        assert_eq!(
            throttle.admit(alice, &email("ALICE@example.com"), T0.plus_seconds(10)),
            Err(50)
        );
        assert_eq!(throttle.admit(alice, &to, T0.plus_seconds(60)), Ok(()));
    }

    #[test]
    fn an_address_gets_ten_mails_a_day() {
        let throttle = MailThrottle::default();
        let to = email("victim@example.com");
        // Ten accounts, each mailing the same address once, a minute apart.
        for i in 0..10 {
            let at = T0.plus_seconds(i * 60);
            assert_eq!(throttle.admit(UserId(i), &to, at), Ok(()), "mail {i}");
        }
        let at = T0.plus_seconds(3600);
        assert_eq!(throttle.admit(UserId(99), &to, at), Err(24 * 3600 - 3600));
        assert_eq!(
            throttle.admit(UserId(99), &to, T0.plus_seconds(24 * 3600)),
            Ok(())
        );
    }

    #[test]
    fn an_account_cannot_mail_many_addresses_at_once() {
        let throttle = MailThrottle::default();
        let alice = UserId(1);
        for i in 0..5 {
            let to = email(&format!("a{i}@example.com"));
            assert_eq!(throttle.admit(alice, &to, T0), Ok(()));
        }
        let to = email("a5@example.com");
        assert_eq!(throttle.admit(alice, &to, T0), Err(60));
        // Another account is not affected, and a refusal records nothing.
        assert_eq!(throttle.admit(UserId(2), &to, T0), Ok(()));
        assert_eq!(throttle.admit(UserId(2), &to, T0), Ok(()));
    }
}
