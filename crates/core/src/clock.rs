//! Time: the `Clock` seam and the `Timestamp` every layer passes around.

use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};

/// Seconds since the Unix epoch, UTC. Stored as an integer in both databases.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    pub const fn from_unix(seconds: i64) -> Self {
        Self(seconds)
    }
    pub const fn unix(self) -> i64 {
        self.0
    }
    pub const fn plus_seconds(self, seconds: i64) -> Self {
        Self(self.0.saturating_add(seconds))
    }
    /// Parses an RFC 3339 date-time (`2026-03-02T10:00:00Z`).
    pub fn parse_rfc3339(text: &str) -> Option<Self> {
        let t = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
            .ok()?;
        Some(Self(t.unix_timestamp()))
    }
    pub fn to_rfc3339(self) -> String {
        time::OffsetDateTime::from_unix_timestamp(self.0)
            .ok()
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .unwrap_or_else(|| self.0.to_string())
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the one sanctioned read of wall time
    fn now(&self) -> Timestamp {
        let seconds = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        Timestamp(seconds)
    }
}

/// A clock tests can set and advance.
#[derive(Debug, Default)]
pub struct FixedClock(AtomicI64);

impl FixedClock {
    pub fn new(at: Timestamp) -> Self {
        Self(AtomicI64::new(at.0))
    }
    pub fn advance(&self, seconds: i64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }
    pub fn set(&self, at: Timestamp) {
        self.0.store(at.0, Ordering::SeqCst);
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trips() {
        let t = Timestamp::parse_rfc3339("2026-03-02T10:01:00Z").unwrap();
        assert_eq!(t.unix(), 1_772_445_660);
        assert_eq!(t.to_rfc3339(), "2026-03-02T10:01:00Z");
    }

    #[test]
    fn fixed_clock_advances() {
        let clock = FixedClock::new(Timestamp::from_unix(100));
        clock.advance(5);
        assert_eq!(clock.now(), Timestamp::from_unix(105));
    }
}
