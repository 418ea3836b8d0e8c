//! Calendar dates and UUIDs, behind cargo features: chrono's `NaiveDate` and time's
//! `Date` as days since 1970-01-01 (an `i32`, keyed as a signed integer), uuid's `Uuid`
//! as its 16 bytes (keyed as they are, so UUIDs of version 7 sort by time).

#[cfg(any(feature = "chrono", feature = "time"))]
mod dates {
    use crate::codec::key::{Indexable, KeyMode, KeyPart};
    use crate::codec::{Corrupt, Element, Required, Value};
    use crate::schema::ValueType;
    use std::cmp::Ordering;

    /// A date type: days since 1970-01-01 and back.
    pub(super) trait Day: Copy + Ord + core::fmt::Debug {
        /// 1970-01-01.
        const EPOCH: Self;
        /// Days since 1970-01-01 (negative before it).
        fn days(self) -> i32;
        /// The date `days` after 1970-01-01, if the type holds it.
        fn from_days(days: i32) -> Option<Self>;
    }

    /// The codec of every [`Day`] type: one stored type, the key of its `i32`.
    macro_rules! date {
        ($($ty:ty),*) => {$(
            impl Value for $ty {
                const TYPE: ValueType<'static> = ValueType::Date;
                type View<'a> = $ty;

                fn encode(&self, out: &mut Vec<u8>, slot: usize, record: usize) {
                    Day::days(*self).encode(out, slot, record);
                }

                fn read<'a>(slot: &'a [u8], record: &'a [u8]) -> Result<$ty, Corrupt> {
                    <$ty as Day>::from_days(i32::read(slot, record)?)
                        .ok_or(Corrupt(concat!("a date lies beyond what `", stringify!($ty), "` holds")))
                }

                fn default_view<'a>() -> Self::View<'a> {
                    <$ty as Day>::EPOCH
                }

                fn from_view(view: $ty) -> $ty {
                    view
                }
            }

            impl Required for $ty {}
            impl Element for $ty {}

            impl KeyPart for $ty {
                fn write_key(view: $ty, mode: KeyMode, out: &mut Vec<u8>) {
                    i32::write_key(Day::days(view), mode, out);
                }

                fn compare(a: $ty, b: $ty) -> Ordering {
                    a.cmp(&b)
                }

                fn as_view(&self) -> $ty {
                    *self
                }
            }

            impl Indexable for $ty {
                fn index_keys(view: $ty, case_insensitive: bool, keys: &mut Vec<Vec<u8>>) {
                    i32::index_keys(Day::days(view), case_insensitive, keys);
                }

                fn value_index_keys(value: &$ty, case_insensitive: bool, keys: &mut Vec<Vec<u8>>) {
                    <$ty as Indexable>::index_keys(*value, case_insensitive, keys);
                }
            }
        )*};
    }

    #[cfg(feature = "chrono")]
    impl Day for chrono::NaiveDate {
        const EPOCH: Self = match chrono::NaiveDate::from_ymd_opt(1970, 1, 1) {
            Some(date) => date,
            None => panic!("1970-01-01 is a date"),
        };

        fn days(self) -> i32 {
            // chrono's dates span about ±262,000 years: the days fit.
            self.signed_duration_since(Self::EPOCH).num_days() as i32
        }

        fn from_days(days: i32) -> Option<Self> {
            Self::EPOCH.checked_add_signed(chrono::TimeDelta::try_days(i64::from(days))?)
        }
    }

    #[cfg(feature = "chrono")]
    date!(chrono::NaiveDate);

    #[cfg(feature = "time")]
    impl Day for time::Date {
        const EPOCH: Self = time::OffsetDateTime::UNIX_EPOCH.date();

        fn days(self) -> i32 {
            // Julian day 2,440,588 is 1970-01-01.
            self.to_julian_day() - 2_440_588
        }

        fn from_days(days: i32) -> Option<Self> {
            time::Date::from_julian_day(days.checked_add(2_440_588)?).ok()
        }
    }

    #[cfg(feature = "time")]
    date!(time::Date);
}

#[cfg(feature = "uuid")]
mod uuids {
    use crate::codec::key::{Indexable, KeyMode, KeyPart};
    use crate::codec::{Corrupt, Element, Required, Value};
    use crate::schema::ValueType;
    use std::cmp::Ordering;
    use uuid::Uuid;

    impl Value for Uuid {
        const TYPE: ValueType<'static> = ValueType::Uuid;
        type View<'a> = Uuid;

        fn encode(&self, out: &mut Vec<u8>, slot: usize, _record: usize) {
            out[slot..slot + 16].copy_from_slice(self.as_bytes());
        }

        fn read<'a>(slot: &'a [u8], _record: &'a [u8]) -> Result<Uuid, Corrupt> {
            Uuid::from_slice(slot).map_err(|_| Corrupt("a UUID's slot has the wrong width"))
        }

        fn default_view<'a>() -> Self::View<'a> {
            Uuid::nil()
        }

        fn from_view(view: Uuid) -> Uuid {
            view
        }
    }

    impl Required for Uuid {}
    impl Element for Uuid {}

    impl KeyPart for Uuid {
        fn write_key(view: Uuid, _: KeyMode, out: &mut Vec<u8>) {
            out.extend_from_slice(view.as_bytes());
        }

        fn compare(a: Uuid, b: Uuid) -> Ordering {
            a.cmp(&b)
        }

        fn as_view(&self) -> Uuid {
            *self
        }
    }

    impl Indexable for Uuid {
        fn index_keys(view: Uuid, _: bool, keys: &mut Vec<Vec<u8>>) {
            keys.push(view.as_bytes().to_vec());
        }

        fn value_index_keys(value: &Uuid, case_insensitive: bool, keys: &mut Vec<Vec<u8>>) {
            Self::index_keys(*value, case_insensitive, keys);
        }
    }
}
