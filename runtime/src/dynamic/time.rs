//! Times as text, for people and for JSON: a `SystemTime` as RFC 3339 in UTC
//! (`2024-05-01T12:30:00.25Z`, the fraction only as long as it needs to be), and a
//! `Duration` as ISO 8601 seconds (`PT90.5S`). Both parse back exactly; parsing takes
//! any UTC offset (`+02:00`) too.

use crate::codec::time::{join, split};
use std::time::{Duration, SystemTime};

/// Days since 1970-01-01 of a date in the proleptic Gregorian calendar (Howard
/// Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month = i64::from(month);
    let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date of a day since 1970-01-01: year, month, day (`civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `.` and the nanoseconds without their trailing zeros; nothing for none.
fn fraction(nanos: u32) -> String {
    if nanos == 0 {
        return String::new();
    }
    format!(".{nanos:09}").trim_end_matches('0').to_owned()
}

/// A point in time as RFC 3339 in UTC.
pub(crate) fn rfc3339(time: SystemTime) -> String {
    let (seconds, nanos) = split(time);
    let (days, second_of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    let (hour, minute, second) = (second_of_day / 3600, second_of_day / 60 % 60, second_of_day % 60);
    let year = if (0..=9999).contains(&year) { format!("{year:04}") } else { format!("{year:+}") };
    format!("{year}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}{}Z", fraction(nanos))
}

/// A span of time as ISO 8601 seconds.
pub(crate) fn iso_duration(span: Duration) -> String {
    format!("PT{}{}S", span.as_secs(), fraction(span.subsec_nanos()))
}

/// Splits `text` into its leading decimal digits and the rest.
fn digits(text: &str) -> (&str, &str) {
    let end = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    text.split_at(end)
}

/// A fixed number of digits as a number.
fn number(text: &str, width: usize) -> Option<(u32, &str)> {
    let (all, rest) = digits(text);
    (all.len() == width).then(|| all.parse().ok().map(|value| (value, rest)))?
}

/// The nanoseconds of an optional fraction (`.` and 1 to 9 digits), and the rest.
fn nanos(text: &str) -> Option<(u32, &str)> {
    let Some(after) = text.strip_prefix('.') else { return Some((0, text)) };
    let (all, rest) = digits(after);
    if all.is_empty() || all.len() > 9 {
        return None;
    }
    Some((format!("{all:0<9}").parse().ok()?, rest))
}

/// Parses RFC 3339: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` (`t`, `z` and a space
/// for `T` accepted).
pub(crate) fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    let (year, rest) = number(text, 4)?;
    let (month, rest) = number(rest.strip_prefix('-')?, 2)?;
    let (day, rest) = number(rest.strip_prefix('-')?, 2)?;
    let rest = rest.strip_prefix(['T', 't', ' '])?;
    let (hour, rest) = number(rest, 2)?;
    let (minute, rest) = number(rest.strip_prefix(':')?, 2)?;
    let (second, rest) = number(rest.strip_prefix(':')?, 2)?;
    let (nanos, rest) = nanos(rest)?;
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.chars().next()? {
                '+' => 1,
                '-' => -1,
                _ => return None,
            };
            let (hours, after) = number(&rest[1..], 2)?;
            let (minutes, after) = number(after.strip_prefix(':')?, 2)?;
            if !after.is_empty() || hours > 23 || minutes > 59 {
                return None;
            }
            sign * i64::from(hours * 3600 + minutes * 60)
        }
    };
    if !valid_date(year, month, day) || hour >= 24 || minute >= 60 || second >= 60 {
        return None;
    }
    let days = days_from_civil(i64::from(year), month, day);
    let seconds = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second) - offset;
    join(seconds, nanos)
}

/// Parses ISO 8601 seconds: `PT<seconds>[.fraction]S`.
pub(crate) fn parse_iso_duration(text: &str) -> Option<Duration> {
    let rest = text.strip_prefix("PT")?;
    let (whole, rest) = digits(rest);
    let (nanos, rest) = nanos(rest)?;
    if whole.is_empty() || rest != "S" {
        return None;
    }
    Some(Duration::new(whole.parse().ok()?, nanos))
}

/// How a field of a time, date or UUID type is written as text in a filter: whether a
/// text parses, and an example of one.
pub(crate) fn text_form(ty: &crate::schema::StoredType) -> (fn(&str) -> bool, &'static str) {
    use crate::schema::StoredType;
    match ty {
        StoredType::Timestamp => {
            (|text| parse_rfc3339(text).is_some(), "\"2024-05-01T12:30:00Z\" (RFC 3339)")
        }
        StoredType::Duration => (|text| parse_iso_duration(text).is_some(), "\"PT90.5S\" (ISO 8601 seconds)"),
        StoredType::Date => (|text| parse_iso_date(text).is_some(), "\"2024-05-01\" (ISO 8601)"),
        _ => (|text| parse_uuid(text).is_some(), "\"67e55044-10b1-426f-9247-bb680e5fe0c8\""),
    }
}

/// A date, as days since 1970-01-01, in ISO 8601 (`2024-05-01`).
pub(crate) fn iso_date(days: i32) -> String {
    let (year, month, day) = civil_from_days(i64::from(days));
    let year = if (0..=9999).contains(&year) { format!("{year:04}") } else { format!("{year:+}") };
    format!("{year}-{month:02}-{day:02}")
}

/// Parses an ISO 8601 date, `YYYY-MM-DD`, into days since 1970-01-01.
pub(crate) fn parse_iso_date(text: &str) -> Option<i32> {
    let (year, rest) = number(text, 4)?;
    let (month, rest) = number(rest.strip_prefix('-')?, 2)?;
    let (day, rest) = number(rest.strip_prefix('-')?, 2)?;
    if !rest.is_empty() || !valid_date(year, month, day) {
        return None;
    }
    i32::try_from(days_from_civil(i64::from(year), month, day)).ok()
}

/// Whether `year-month-day` is a day of the Gregorian calendar.
fn valid_date(year: u32, month: u32, day: u32) -> bool {
    let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
    let month_days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    (1..=12).contains(&month) && day >= 1 && day <= month_days[(month.max(1) - 1) as usize]
}

/// A UUID's 16 bytes, hyphenated in lowercase (`67e55044-10b1-426f-9247-bb680e5fe0c8`).
pub(crate) fn hyphenated(bytes: &[u8; 16]) -> String {
    let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

/// Parses a UUID written hyphenated (either case), or as 32 hex digits.
pub(crate) fn parse_uuid(text: &str) -> Option<[u8; 16]> {
    let hyphens = [8, 13, 18, 23];
    let digits: String = match text.len() {
        36 if hyphens.iter().all(|&at| text.as_bytes()[at] == b'-') => text.replace('-', ""),
        32 => text.to_owned(),
        _ => return None,
    };
    if digits.len() != 32 || !digits.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return None;
    }
    let mut bytes = [0; 16];
    for (at, byte) in bytes.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&digits[at * 2..at * 2 + 2], 16).ok()?;
    }
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    #[test]
    fn times_are_written_as_rfc_3339_and_read_back() {
        let cases = [
            (0, 0, "1970-01-01T00:00:00Z"),
            (951_782_400, 0, "2000-02-29T00:00:00Z"),
            (1_714_566_600, 250_000_000, "2024-05-01T12:30:00.25Z"),
            (-1, 999_999_999, "1969-12-31T23:59:59.999999999Z"),
            (-62_135_596_800, 0, "0001-01-01T00:00:00Z"),
            (253_402_300_800, 1, "+10000-01-01T00:00:00.000000001Z"),
        ];
        for (seconds, nanos, text) in cases {
            let time = join(seconds, nanos).unwrap();
            assert_eq!(rfc3339(time), text);
            if !text.starts_with('+') {
                assert_eq!(parse_rfc3339(text), Some(time), "{text}");
            }
        }
        assert_eq!(parse_rfc3339("2024-05-01T14:30:00.25+02:00"), join(1_714_566_600, 250_000_000));
        assert_eq!(parse_rfc3339("1970-01-01 00:00:00z"), Some(UNIX_EPOCH));
        for bad in ["2023-02-29T00:00:00Z", "2024-05-01T24:00:00Z", "2024-05-01", "2024-05-01T00:00:00", "x"]
        {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn dates_and_uuids_are_written_as_iso_8601_and_hyphenated() {
        for (days, text) in
            [(0, "1970-01-01"), (-1, "1969-12-31"), (19_844, "2024-05-01"), (11_016, "2000-02-29")]
        {
            assert_eq!(iso_date(days), text);
            assert_eq!(parse_iso_date(text), Some(days));
        }
        assert_eq!(parse_iso_date("2023-02-29"), None);
        assert_eq!(parse_iso_date("2024-05-01T00:00:00Z"), None);
        let bytes =
            [0x67, 0xe5, 0x50, 0x44, 0x10, 0xb1, 0x42, 0x6f, 0x92, 0x47, 0xbb, 0x68, 0x0e, 0x5f, 0xe0, 0xc8];
        assert_eq!(hyphenated(&bytes), "67e55044-10b1-426f-9247-bb680e5fe0c8");
        assert_eq!(parse_uuid("67E55044-10B1-426F-9247-BB680E5FE0C8"), Some(bytes));
        assert_eq!(parse_uuid("67e5504410b1426f9247bb680e5fe0c8"), Some(bytes));
        assert_eq!(parse_uuid("67e55044-10b1-426f-9247-bb680e5fe0cz"), None);
    }

    #[test]
    fn durations_are_written_as_iso_8601_seconds_and_read_back() {
        for (span, text) in [(Duration::ZERO, "PT0S"), (Duration::new(90, 500_000_000), "PT90.5S")] {
            assert_eq!(iso_duration(span), text);
            assert_eq!(parse_iso_duration(text), Some(span));
        }
        assert_eq!(parse_iso_duration("PT1.0000000001S"), None);
        assert_eq!(parse_iso_duration("P1D"), None);
    }
}
