//! The one token bucket: `rate` tokens a second, at most `burst` at once.
//! A connection has one for its messages; an address has one per kind of
//! request that is cheap to ask and costly to grant (see
//! `crate::http::abuse`).

use std::time::{Duration, Instant};

/// A token bucket, full when made.
#[derive(Debug, Clone)]
pub(crate) struct TokenBucket {
    /// Tokens added per second.
    rate: f64,
    /// Most tokens held.
    burst: f64,
    tokens: f64,
    /// When `tokens` was last brought up to date.
    last: Instant,
}

impl TokenBucket {
    /// A full bucket at `now`.
    pub(crate) fn new(rate: f64, burst: f64, now: Instant) -> Self {
        TokenBucket {
            rate,
            burst,
            tokens: burst,
            last: now,
        }
    }

    /// Adds what the time since the last look earned.
    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
    }

    /// Whether a token is there at `now`, without taking it.
    pub(crate) fn has(&mut self, now: Instant) -> bool {
        self.refill(now);
        self.tokens >= 1.0
    }

    /// Takes one token at `now`; false when the bucket is empty.
    pub(crate) fn take(&mut self, now: Instant) -> bool {
        let has = self.has(now);
        if has {
            self.tokens -= 1.0;
        }
        has
    }

    /// Whether the bucket would be full at `now` (it can be forgotten).
    pub(crate) fn full_at(&self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens + elapsed * self.rate >= self.burst
    }

    /// How long until a token is there, counted from the last look; an
    /// hour if the bucket never refills.
    pub(crate) fn wait(&self) -> Duration {
        if self.rate > 0.0 {
            Duration::from_secs_f64(((1.0 - self.tokens) / self.rate).max(0.0))
        } else {
            Duration::from_secs(3600)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_the_rate() {
        let start = Instant::now();
        let mut r = TokenBucket::new(10.0, 3.0, start);
        assert!(r.take(start) && r.take(start) && r.take(start));
        assert!(!r.take(start));
        assert!(r.take(start + Duration::from_millis(110)));
        assert!(!r.take(start + Duration::from_millis(110)));
    }

    #[test]
    fn looking_takes_nothing_and_the_wait_is_until_the_next_token() {
        let start = Instant::now();
        let mut r = TokenBucket::new(2.0, 1.0, start);
        assert!(r.has(start) && r.has(start));
        assert!(r.take(start));
        assert!(!r.has(start));
        assert_eq!(r.wait(), Duration::from_millis(500));
        assert!(!r.full_at(start + Duration::from_millis(400)));
        assert!(r.full_at(start + Duration::from_millis(500)));
        let never = TokenBucket::new(0.0, 1.0, start);
        assert_eq!(never.wait(), Duration::from_secs(3600));
    }
}
