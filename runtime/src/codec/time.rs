//! `SystemTime` and `Duration`: twelve bytes each, whole seconds then nanoseconds, so
//! that every value either type holds on any platform fits, and their keys sort in time
//! order.
//!
//! | type | slot | key |
//! | --- | --- | --- |
//! | `SystemTime` | seconds since the Unix epoch, `i64` (negative before it), then nanoseconds, `u32` below 10⁹; little-endian | the seconds with the sign bit flipped, then the nanoseconds; big-endian |
//! | `Duration` | seconds, `u64`, then nanoseconds, `u32` below 10⁹; little-endian | the seconds, then the nanoseconds; big-endian |

use super::key::{Indexable, KeyMode, KeyPart};
use super::{Corrupt, Element, Required, Value};
use crate::schema::ValueType;
use std::cmp::Ordering;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use zerocopy::byteorder::little_endian::{I64, U32, U64};
use zerocopy::{FromBytes, IntoBytes};

const NANOS_PER_SECOND: u32 = 1_000_000_000;

/// A point in time as whole seconds since the Unix epoch (floored: negative before it)
/// and the nanoseconds after them. Seconds beyond `i64` (no platform's `SystemTime`
/// reaches them) are clamped.
pub(crate) fn split(time: SystemTime) -> (i64, u32) {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => (i64::try_from(after.as_secs()).unwrap_or(i64::MAX), after.subsec_nanos()),
        Err(before) => {
            let before = before.duration();
            let seconds = i64::try_from(before.as_secs()).map_or(i64::MIN, |seconds| -seconds);
            match before.subsec_nanos() {
                0 => (seconds, 0),
                nanos => (seconds.saturating_sub(1), NANOS_PER_SECOND - nanos),
            }
        }
    }
}

/// The point in time [`split`] made `(seconds, nanos)` of; `None` where this platform's
/// `SystemTime` cannot hold it, or the nanoseconds are not below 10⁹.
pub(crate) fn join(seconds: i64, nanos: u32) -> Option<SystemTime> {
    if nanos >= NANOS_PER_SECOND {
        return None;
    }
    let whole = if seconds >= 0 {
        UNIX_EPOCH.checked_add(Duration::from_secs(seconds.unsigned_abs()))?
    } else {
        UNIX_EPOCH.checked_sub(Duration::from_secs(seconds.unsigned_abs()))?
    };
    whole.checked_add(Duration::from_nanos(u64::from(nanos)))
}

/// Reads the twelve bytes of a slot as `(seconds, nanos)` of a given seconds type.
fn read_parts<S: FromBytes + zerocopy::KnownLayout + zerocopy::Immutable>(
    slot: &[u8],
) -> Result<(S, u32), Corrupt> {
    const WRONG: Corrupt = Corrupt("a time's slot has the wrong width");
    let (seconds, nanos) = slot.split_at_checked(8).ok_or(WRONG)?;
    let seconds = S::read_from_bytes(seconds).map_err(|_| WRONG)?;
    let nanos = U32::read_from_bytes(nanos).map_err(|_| WRONG)?.get();
    if nanos >= NANOS_PER_SECOND {
        return Err(Corrupt("a time has 10⁹ nanoseconds or more"));
    }
    Ok((seconds, nanos))
}

/// A point in time, stored as a timestamp: `std::time::SystemTime`, and behind cargo
/// features `chrono::DateTime<Utc>` and `NaiveDateTime` (read as UTC),
/// `time::OffsetDateTime` (its offset is not kept: it reads back in UTC) and
/// `jiff::Timestamp`.
trait Instant: Copy + Ord + core::fmt::Debug {
    /// The type's zero: the Unix epoch.
    const EPOCH: Self;
    /// Seconds since the epoch (floored) and nanoseconds below 10⁹.
    fn parts(self) -> (i64, u32);
    /// The instant of `parts`, if the type holds it.
    fn from_parts(seconds: i64, nanos: u32) -> Option<Self>;
}

impl Instant for SystemTime {
    const EPOCH: SystemTime = UNIX_EPOCH;

    fn parts(self) -> (i64, u32) {
        split(self)
    }

    fn from_parts(seconds: i64, nanos: u32) -> Option<Self> {
        join(seconds, nanos)
    }
}

/// The codec of every [`Instant`] type: one stored type, one key.
macro_rules! instant {
    ($($ty:ty),*) => {$(
        impl Value for $ty {
            const TYPE: ValueType<'static> = ValueType::Timestamp;
            type View<'a> = $ty;

            fn encode(&self, out: &mut Vec<u8>, slot: usize, _record: usize) {
                let (seconds, nanos) = Instant::parts(*self);
                out[slot..slot + 8].copy_from_slice(I64::new(seconds).as_bytes());
                out[slot + 8..slot + 12].copy_from_slice(U32::new(nanos).as_bytes());
            }

            fn read<'a>(slot: &'a [u8], _record: &'a [u8]) -> Result<$ty, Corrupt> {
                let (seconds, nanos) = read_parts::<I64>(slot)?;
                <$ty as Instant>::from_parts(seconds.get(), nanos)
                    .ok_or(Corrupt(concat!("a timestamp lies beyond what `", stringify!($ty), "` holds")))
            }

            fn default_view<'a>() -> Self::View<'a> {
                <$ty as Instant>::EPOCH
            }

            fn from_view(view: $ty) -> $ty {
                view
            }
        }

        impl Required for $ty {}
        impl Element for $ty {}

        impl KeyPart for $ty {
            fn write_key(view: $ty, _: KeyMode, out: &mut Vec<u8>) {
                let (seconds, nanos) = Instant::parts(view);
                out.extend_from_slice(&((seconds as u64) ^ (1 << 63)).to_be_bytes());
                out.extend_from_slice(&nanos.to_be_bytes());
            }

            fn compare(a: $ty, b: $ty) -> Ordering {
                a.cmp(&b)
            }

            fn as_view(&self) -> $ty {
                *self
            }
        }

        impl Indexable for $ty {
            fn index_keys(view: $ty, _: bool, keys: &mut Vec<Vec<u8>>) {
                let mut key = Vec::new();
                <$ty as KeyPart>::write_key(view, KeyMode::Full, &mut key);
                keys.push(key);
            }

            fn value_index_keys(value: &$ty, case_insensitive: bool, keys: &mut Vec<Vec<u8>>) {
                <$ty as Indexable>::index_keys(*value, case_insensitive, keys);
            }
        }
    )*};
}

instant!(SystemTime);

#[cfg(feature = "chrono")]
mod chrono_instants {
    use super::*;
    use chrono::{DateTime, NaiveDateTime, Utc};

    impl Instant for DateTime<Utc> {
        const EPOCH: Self = DateTime::UNIX_EPOCH;

        /// A leap second (chrono's nanoseconds from 10⁹) is kept as the last
        /// nanosecond of the second before.
        fn parts(self) -> (i64, u32) {
            (self.timestamp(), self.timestamp_subsec_nanos().min(999_999_999))
        }

        fn from_parts(seconds: i64, nanos: u32) -> Option<Self> {
            DateTime::from_timestamp(seconds, nanos)
        }
    }

    impl Instant for NaiveDateTime {
        const EPOCH: Self = DateTime::UNIX_EPOCH.naive_utc();

        fn parts(self) -> (i64, u32) {
            self.and_utc().parts()
        }

        fn from_parts(seconds: i64, nanos: u32) -> Option<Self> {
            DateTime::<Utc>::from_parts(seconds, nanos).map(|time| time.naive_utc())
        }
    }

    instant!(DateTime<Utc>, NaiveDateTime);
}

#[cfg(feature = "time")]
mod time_instants {
    use super::*;
    use time::OffsetDateTime;

    impl Instant for OffsetDateTime {
        const EPOCH: Self = OffsetDateTime::UNIX_EPOCH;

        fn parts(self) -> (i64, u32) {
            (self.unix_timestamp(), self.nanosecond())
        }

        /// In UTC: the offset a value was stored with is not kept.
        fn from_parts(seconds: i64, nanos: u32) -> Option<Self> {
            let nanos = i128::from(seconds) * 1_000_000_000 + i128::from(nanos);
            OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()
        }
    }

    instant!(OffsetDateTime);
}

#[cfg(feature = "jiff")]
mod jiff_instants {
    use super::*;
    use jiff::Timestamp;

    impl Instant for Timestamp {
        const EPOCH: Self = Timestamp::UNIX_EPOCH;

        fn parts(self) -> (i64, u32) {
            // jiff's nanoseconds are negative before the epoch: floor the seconds.
            let (seconds, nanos) = (self.as_second(), self.subsec_nanosecond());
            if nanos < 0 { (seconds - 1, (nanos + 1_000_000_000) as u32) } else { (seconds, nanos as u32) }
        }

        fn from_parts(seconds: i64, nanos: u32) -> Option<Self> {
            let nanos = i128::from(seconds) * 1_000_000_000 + i128::from(nanos);
            Timestamp::from_nanosecond(nanos).ok()
        }
    }

    instant!(Timestamp);
}

impl Value for Duration {
    const TYPE: ValueType<'static> = ValueType::Duration;
    type View<'a> = Duration;

    fn encode(&self, out: &mut Vec<u8>, slot: usize, _record: usize) {
        out[slot..slot + 8].copy_from_slice(U64::new(self.as_secs()).as_bytes());
        out[slot + 8..slot + 12].copy_from_slice(U32::new(self.subsec_nanos()).as_bytes());
    }

    fn read<'a>(slot: &'a [u8], _record: &'a [u8]) -> Result<Duration, Corrupt> {
        let (seconds, nanos) = read_parts::<U64>(slot)?;
        Ok(Duration::new(seconds.get(), nanos))
    }

    fn default_view<'a>() -> Self::View<'a> {
        Duration::ZERO
    }

    fn from_view(view: Duration) -> Duration {
        view
    }
}

impl Required for Duration {}
impl Element for Duration {}

impl KeyPart for Duration {
    fn write_key(view: Duration, _: KeyMode, out: &mut Vec<u8>) {
        out.extend_from_slice(&view.as_secs().to_be_bytes());
        out.extend_from_slice(&view.subsec_nanos().to_be_bytes());
    }

    fn compare(a: Duration, b: Duration) -> Ordering {
        a.cmp(&b)
    }

    fn as_view(&self) -> Duration {
        *self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_and_join_round_trip_on_both_sides_of_the_epoch() {
        for (seconds, nanos) in [(0, 0), (1, 5), (-1, 0), (-1, 999_999_999), (-86_400, 1), (1 << 40, 7)] {
            let time = join(seconds, nanos).unwrap();
            assert_eq!(split(time), (seconds, nanos));
        }
        let before = UNIX_EPOCH - Duration::new(2, 250_000_000);
        assert_eq!(split(before), (-3, 750_000_000));
        assert_eq!(join(0, NANOS_PER_SECOND), None);
    }
}
