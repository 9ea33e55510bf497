//! The simulated clock: wall time plus an offset that tests move instead of sleeping.
//!
//! Token lifetimes, authorization codes and SIM-swap ages are judged by this clock, so a test can
//! expire a 30-minute Unicom token in one control call. Signature timestamps are *not*: the offset
//! stands for time passing on the network, not for the carrier's clock drifting away from numgate's.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, TimeDelta, Utc};

/// Offsets are clamped to ±100 years so that `now + lifetime` can never overflow chrono's range.
const MAX_OFFSET_MS: i64 = 100 * 366 * 86_400 * 1000;

fn clamp(ms: i64) -> i64 {
    ms.clamp(-MAX_OFFSET_MS, MAX_OFFSET_MS)
}

/// Wall clock plus an adjustable offset (milliseconds, shared by all handlers of one simulator).
#[derive(Debug, Default)]
pub(crate) struct Clock {
    /// Atomic rather than behind a lock: it is read on every request and written almost never.
    offset_ms: AtomicI64,
}

impl Clock {
    /// A clock `offset_secs` ahead of the wall clock.
    pub(crate) fn new(offset_secs: i64) -> Clock {
        Clock {
            offset_ms: AtomicI64::new(clamp(offset_secs.saturating_mul(1000))),
        }
    }

    /// Simulated now.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        let offset =
            TimeDelta::try_milliseconds(self.offset_ms.load(Ordering::Relaxed)).unwrap_or_default();
        Utc::now()
            .checked_add_signed(offset)
            .unwrap_or_else(Utc::now)
    }

    /// Real now, for signature timestamps.
    pub(crate) fn wall(&self) -> DateTime<Utc> {
        Utc::now()
    }

    /// Moves simulated time forward (or back, if negative).
    pub(crate) fn advance(&self, secs: i64) {
        let delta = secs.saturating_mul(1000);
        // fetch_update never fails with a closure that always returns Some.
        let _ = self
            .offset_ms
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| {
                Some(v.saturating_add(delta))
            });
    }

    /// Sets the offset outright.
    pub(crate) fn set_offset(&self, secs: i64) {
        self.offset_ms
            .store(secs.saturating_mul(1000), Ordering::Relaxed);
    }

    /// The current offset in whole seconds.
    pub(crate) fn offset_secs(&self) -> i64 {
        self.offset_ms.load(Ordering::Relaxed) / 1000
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_now_but_not_the_wall_clock() {
        let clock = Clock::new(0);
        clock.advance(600);
        let ahead = clock.now() - clock.wall();
        assert!(ahead >= TimeDelta::seconds(599) && ahead <= TimeDelta::seconds(601));
        assert_eq!(clock.offset_secs(), 600);
        clock.set_offset(-5);
        assert_eq!(clock.offset_secs(), -5);
    }

    #[test]
    fn absurd_offsets_do_not_panic() {
        let clock = Clock::new(i64::MAX);
        clock.advance(i64::MAX);
        let _ = clock.now();
    }
}
