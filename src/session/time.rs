//! Time as the session machines see it: milliseconds on a monotonic clock the caller owns.

use core::ops::Add;
use core::time::Duration;

/// A point in time: milliseconds since an epoch the caller chooses, on a monotonic clock.
///
/// The session machines never read a clock. Every input that depends on time takes `now`, and
/// [`poll_timeout`](crate::session::ClientSession::poll_timeout) answers with an `Instant` on the
/// same clock. A test or a simulation passes virtual time (`Instant::from_millis(t)`); a program
/// on `std` uses [`StdClock`]. MQTT's timers are whole seconds, so milliseconds lose nothing, and
/// a `u64` of them lasts for 584 million years.
///
/// An input whose `now` is earlier than one seen before is treated as the later one: time never
/// runs backwards inside a session.
///
/// ```
/// use core::time::Duration;
/// use mqtt_wire::session::Instant;
///
/// let t = Instant::from_millis(1_500);
/// assert_eq!((t + Duration::from_secs(2)).as_millis(), 3_500);
/// assert_eq!(t.saturating_duration_since(Instant::from_millis(2_000)), Duration::ZERO);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(u64);

impl Instant {
    /// The epoch itself.
    pub const ZERO: Instant = Instant(0);

    /// The instant `ms` milliseconds after the epoch.
    pub const fn from_millis(ms: u64) -> Instant {
        Instant(ms)
    }

    /// Milliseconds since the epoch.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// The time from `earlier` to `self`, zero when `earlier` is later.
    pub const fn saturating_duration_since(self, earlier: Instant) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }

    /// `self` plus `secs` seconds, saturating at the end of time.
    pub(crate) const fn plus_secs(self, secs: u64) -> Instant {
        Instant(self.0.saturating_add(secs.saturating_mul(1000)))
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;

    /// Saturating: an instant past the end of time is the end of time.
    fn add(self, rhs: Duration) -> Instant {
        let ms = u64::try_from(rhs.as_millis()).unwrap_or(u64::MAX);
        Instant(self.0.saturating_add(ms))
    }
}

/// A clock on `std::time::Instant`, for programs that run the sessions on real time.
///
/// Its epoch is the moment it was created.
///
/// ```
/// use mqtt_wire::session::StdClock;
///
/// let clock = StdClock::new();
/// let a = clock.now();
/// let b = clock.now();
/// assert!(b >= a);
/// ```
#[cfg(feature = "std")]
#[derive(Clone, Copy, Debug)]
pub struct StdClock {
    epoch: std::time::Instant,
}

#[cfg(feature = "std")]
impl StdClock {
    /// A clock whose epoch is now.
    #[allow(
        clippy::disallowed_methods,
        reason = "the one place that reads the clock"
    )]
    pub fn new() -> StdClock {
        StdClock {
            epoch: std::time::Instant::now(),
        }
    }

    /// The current time on this clock.
    #[allow(
        clippy::disallowed_methods,
        reason = "the one place that reads the clock"
    )]
    pub fn now(&self) -> Instant {
        self.instant(std::time::Instant::now())
    }

    /// `at` on this clock (the epoch when `at` is earlier than it).
    pub fn instant(&self, at: std::time::Instant) -> Instant {
        let ms = at.saturating_duration_since(self.epoch).as_millis();
        Instant(u64::try_from(ms).unwrap_or(u64::MAX))
    }

    /// `instant` as a `std::time::Instant`, e.g. to arm an OS timer at a session's deadline.
    pub fn to_std(&self, instant: Instant) -> std::time::Instant {
        let later = self.epoch.checked_add(Duration::from_millis(instant.0));
        later.unwrap_or(self.epoch)
    }
}

#[cfg(feature = "std")]
impl Default for StdClock {
    fn default() -> Self {
        StdClock::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adding_saturates_at_the_end_of_time() {
        let end = Instant::from_millis(u64::MAX - 1);
        assert_eq!(
            end + Duration::from_secs(10),
            Instant::from_millis(u64::MAX)
        );
        assert_eq!(end.plus_secs(u64::MAX), Instant::from_millis(u64::MAX));
        assert_eq!(Instant::ZERO.plus_secs(3), Instant::from_millis(3_000));
    }

    #[cfg(feature = "std")]
    #[test]
    fn std_clock_round_trips_an_instant() {
        let clock = StdClock::new();
        let t = Instant::from_millis(12_345);
        assert_eq!(clock.instant(clock.to_std(t)), t);
    }
}
