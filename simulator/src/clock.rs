//! The simulator's notion of time: the system clock plus an offset that tests can advance, so
//! every lifetime (codes, access tokens, sessions, interactions, key rotation and grace) can be
//! checked without sleeping.

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A monotonic clock with an adjustable offset.
#[derive(Debug, Default)]
pub struct Clock {
    offset: Mutex<Duration>,
}

impl Clock {
    fn offset(&self) -> Duration {
        // A poisoned lock only means a panic elsewhere; the offset itself is always valid.
        *self.offset.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let mut offset = self.offset.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *offset += by;
    }

    /// The current instant, for lifetime checks.
    pub fn now(&self) -> Instant {
        Instant::now() + self.offset()
    }

    /// Seconds since the Unix epoch, for `iat`, `exp` and `auth_time`.
    pub fn unix(&self) -> i64 {
        let now = SystemTime::now() + self.offset();
        now.duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
    }

    /// Whether something created at `created` has outlived `lifetime`.
    pub fn expired(&self, created: Instant, lifetime: Duration) -> bool {
        self.now().saturating_duration_since(created) >= lifetime
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_both_clocks_and_expires_lifetimes() {
        let clock = Clock::default();
        let (created, unix) = (clock.now(), clock.unix());
        assert!(!clock.expired(created, Duration::from_secs(30)));
        clock.advance(Duration::from_secs(30));
        assert!(clock.expired(created, Duration::from_secs(30)));
        assert!(clock.unix() >= unix + 30);
    }
}
