//! Parsers for the plain values forms carry: text with limits, whole numbers, dates,
//! short codes, colours and JSON metadata. Each returns a message for the field.

use chrono::NaiveDate;

/// Trimmed text of at most `max` characters; `Err` when required and empty.
pub fn text(input: &str, max: usize, required: bool) -> Result<String, String> {
    let s = input.trim();
    if required && s.is_empty() {
        return Err("This field is required.".to_owned());
    }
    if s.chars().count() > max {
        return Err(format!("At most {max} characters."));
    }
    if s.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err("Control characters are not allowed.".to_owned());
    }
    Ok(s.to_owned())
}

/// A search or filter term from an address: trimmed, without control characters (a NUL
/// byte is refused by PostgreSQL), at most `max` characters. Never an error: a filter
/// that cannot match anything simply finds nothing.
pub fn search_term(input: &str, max: usize) -> String {
    input
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(max)
        .collect()
}

/// Longest ordinary text field.
pub const SHORT: usize = 200;

/// The most license users one license may have.
pub const MAX_LICENSE_USERS: i64 = 10_000;
/// Notes and descriptions.
pub const LONG: usize = 5000;
/// The largest count or limit a form accepts: activations, seats, consumption maxima.
pub const MAX_NUMBER: i64 = 1_000_000;
/// The longest duration in days (100 years).
pub const MAX_DAYS: i64 = 36_525;
/// The longest borrow limit in hours (a year).
pub const MAX_BORROW_HOURS: i64 = 24 * 365;
/// The shortest and longest lease of a floating seat, in minutes.
pub const MIN_LEASE_MINUTES: i64 = 1;
pub const MAX_LEASE_MINUTES: i64 = 24 * 60;
/// The earliest and latest dates a form accepts.
pub const MIN_DATE: NaiveDate = match NaiveDate::from_ymd_opt(1970, 1, 1) {
    Some(d) => d,
    None => NaiveDate::MIN,
};
pub const MAX_DATE: NaiveDate = match NaiveDate::from_ymd_opt(9999, 12, 31) {
    Some(d) => d,
    None => NaiveDate::MAX,
};

/// The most days an application may trust an answer offline (ten years).
pub const MAX_OFFLINE_DAYS: i64 = 3650;

/// A whole number from `min` to `max`.
pub fn int_in(input: &str, min: i64, max: i64) -> Result<i64, String> {
    let s = input.trim();
    if s.is_empty() {
        return Err("Enter a number.".to_owned());
    }
    let n: i64 = match s.parse() {
        Ok(n) => n,
        // Digits that do not fit are out of range, not "not a number".
        Err(_)
            if s.trim_start_matches(['-', '+'])
                .chars()
                .all(|c| c.is_ascii_digit()) =>
        {
            return Err(if s.starts_with('-') {
                format!("Must be at least {min}.")
            } else {
                format!("Must be at most {max}.")
            })
        }
        Err(_) => return Err(format!("“{}” is not a whole number.", shorten(s))),
    };
    if n < min {
        return Err(if min == 0 {
            "Must not be negative.".to_owned()
        } else {
            format!("Must be at least {min}.")
        });
    }
    if n > max {
        return Err(format!("Must be at most {max}."));
    }
    Ok(n)
}

/// A whole number ≥ 0 (up to [`MAX_NUMBER`]).
pub fn non_negative(input: &str) -> Result<i64, String> {
    int_in(input, 0, MAX_NUMBER)
}

/// A count or limit from 0 to [`MAX_NUMBER`] (activations, seats).
pub fn count(input: &str) -> Result<i64, String> {
    int_in(input, 0, MAX_NUMBER)
}

/// An optional duration in days, 1 to [`MAX_DAYS`] (100 years): empty means none.
pub fn optional_days(input: &str) -> Result<Option<i64>, String> {
    if input.trim().is_empty() {
        return Ok(None);
    }
    int_in(input, 1, MAX_DAYS)
        .map(Some)
        .map_err(|e| match e.starts_with("Must be at most") {
            true => format!("At most {MAX_DAYS} days (100 years)."),
            false => e,
        })
}

/// `at` plus `days`, or `None` when the result would leave the calendar chrono knows.
pub fn add_days(at: chrono::NaiveDateTime, days: i64) -> Option<chrono::NaiveDateTime> {
    chrono::Duration::try_days(days).and_then(|d| at.checked_add_signed(d))
}

/// At most 40 characters of a user's input, for quoting it in a message.
pub fn shorten(s: &str) -> String {
    match s.char_indices().nth(40) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

/// An optional whole number ≥ `min`: empty means none.
pub fn optional_int(input: &str, min: i64) -> Result<Option<i64>, String> {
    optional_int_in(input, min, MAX_NUMBER)
}

/// An optional whole number from `min` to `max` (empty: none).
pub fn optional_int_in(input: &str, min: i64, max: i64) -> Result<Option<i64>, String> {
    if input.trim().is_empty() {
        Ok(None)
    } else {
        int_in(input, min, max).map(Some)
    }
}

/// Why `input` is not a date, in words: a day its month does not have, a month that
/// does not exist, or not the `YYYY-MM-DD` form at all; the value is quoted.
pub fn not_a_date(input: &str) -> String {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let s = input.trim();
    let quoted = shorten(s);
    let parts: Vec<&str> = s.get(..10).unwrap_or("").split('-').collect();
    let numbers: Vec<u32> = parts.iter().filter_map(|p| p.parse().ok()).collect();
    if let ([y, m, d], [_, _, _]) = (numbers.as_slice(), parts.as_slice()) {
        if !(1..=12).contains(m) {
            return format!("“{quoted}” is not a date: there is no month {m}.");
        }
        let next = if *m == 12 {
            NaiveDate::from_ymd_opt(*y as i32 + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(*y as i32, m + 1, 1)
        };
        let days = next
            .and_then(|n| n.pred_opt())
            .map(|last| chrono::Datelike::day(&last));
        if let Some(days) = days {
            if *d == 0 || *d > days {
                return format!(
                    "“{quoted}” is not a date: {} {y} has {days} days.",
                    MONTHS[(*m - 1) as usize]
                );
            }
        }
    }
    format!("“{quoted}” is not a date: write it as YYYY-MM-DD.")
}

/// An optional date `YYYY-MM-DD` from 1970 to 9999.
pub fn optional_date(input: &str) -> Result<Option<NaiveDate>, String> {
    let s = input.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| not_a_date(s))?;
    if d < MIN_DATE || d > MAX_DATE {
        return Err("Use a date between 1970-01-01 and 9999-12-31.".to_owned());
    }
    Ok(Some(d))
}

/// A short code: 1–32 letters, digits, `-`, `_` or `.`.
pub fn code(input: &str) -> Result<String, String> {
    let s = input.trim();
    if s.is_empty() {
        return Err("Enter a short code.".to_owned());
    }
    if s.len() > 32
        || !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err("Use up to 32 letters, digits, dashes, dots or underscores.".to_owned());
    }
    Ok(s.to_owned())
}

/// A colour `#rrggbb`.
pub fn colour(input: &str) -> Result<String, String> {
    let s = input.trim();
    let ok = s.len() == 7 && s.starts_with('#') && s[1..].chars().all(|c| c.is_ascii_hexdigit());
    if ok {
        Ok(s.to_lowercase())
    } else {
        Err("Use a colour like #4f46e5.".to_owned())
    }
}

/// Metadata: a JSON object (empty input means `{}`), stored compactly.
pub fn json_object(input: &str) -> Result<String, String> {
    let s = input.trim();
    if s.is_empty() {
        return Ok("{}".to_owned());
    }
    if s.len() > 20_000 {
        return Err("Metadata is limited to 20,000 characters.".to_owned());
    }
    match serde_json::from_str::<serde_json::Value>(s) {
        Ok(v @ serde_json::Value::Object(_)) => Ok(v.to_string()),
        Ok(_) => Err("Metadata must be a JSON object, like {\"plan\": \"pro\"}.".to_owned()),
        Err(e) => Err(format!("Not valid JSON: {e}.")),
    }
}

/// Pretty-prints stored JSON metadata for a form or a page.
pub fn pretty_json(stored: &str) -> String {
    serde_json::from_str::<serde_json::Value>(stored)
        .ok()
        .filter(|v| v.as_object().is_some_and(|o| !o.is_empty()))
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_default()
}

/// A checkbox: present (any value) means on.
pub fn checkbox(input: &Option<String>) -> bool {
    input
        .as_deref()
        .is_some_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// The exclusive upper bound of a prefix range: every string starting with `prefix`
/// sorts at or above `prefix` and below this (bytewise, as the `*_norm` columns compare).
pub fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

/// The version stamp an edit form carries (the row's `updated_at`).
pub fn version(at: &chrono::NaiveDateTime) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

/// Reads a version stamp back; `None` when missing or malformed (treated as stale).
pub fn parse_version(input: &str) -> Option<chrono::NaiveDateTime> {
    chrono::NaiveDateTime::parse_from_str(input.trim(), "%Y-%m-%dT%H:%M:%S%.f").ok()
}

#[cfg(test)]
mod date_words {
    use super::not_a_date;

    #[test]
    fn a_bad_date_says_what_is_wrong_with_it() {
        assert_eq!(
            not_a_date("2026-02-30"),
            "“2026-02-30” is not a date: February 2026 has 28 days."
        );
        assert_eq!(
            not_a_date("2024-02-30"),
            "“2024-02-30” is not a date: February 2024 has 29 days."
        );
        assert_eq!(
            not_a_date("2026-13-01"),
            "“2026-13-01” is not a date: there is no month 13."
        );
        assert_eq!(
            not_a_date("tomorrow"),
            "“tomorrow” is not a date: write it as YYYY-MM-DD."
        );
        assert_eq!(
            not_a_date("2026-04-31T10:00"),
            "“2026-04-31T10:00” is not a date: April 2026 has 30 days."
        );
        assert_eq!(
            not_a_date("9999999-01-01"),
            "“9999999-01-01” is not a date: write it as YYYY-MM-DD."
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(non_negative(" 5 "), Ok(5));
        assert!(non_negative("-1").unwrap_err().contains("negative"));
        assert!(non_negative("five")
            .unwrap_err()
            .contains("not a whole number"));
        assert!(non_negative("99999999999").is_err());
        assert_eq!(
            non_negative("99999999999999999999999"),
            Err("Must be at most 1000000.".to_owned())
        );
        assert_eq!(optional_days("36525"), Ok(Some(36525)));
        assert!(optional_days("1000000000")
            .unwrap_err()
            .contains("100 years"));
        assert!(optional_days("0").is_err());
        assert!(optional_date("0001-01-01").is_err());
        assert!(optional_date("+12345-01-01").is_err());
        let at = chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        assert!(add_days(at, i64::MAX).is_none());
        assert!(add_days(at, 1_000_000_000).is_none());
        assert!(add_days(at, 30).is_some());
        assert_eq!(optional_int("", 1), Ok(None));
        assert!(optional_int("0", 1).is_err());
    }

    #[test]
    fn json_metadata_must_be_an_object() {
        assert_eq!(json_object(""), Ok("{}".to_owned()));
        assert_eq!(json_object(" {\"a\": 1} "), Ok("{\"a\":1}".to_owned()));
        assert!(json_object("[1]").is_err());
        assert!(json_object("{nope").is_err());
    }

    #[test]
    fn codes_colours_text_dates() {
        assert!(code("PRO-1").is_ok());
        assert!(code("has space").is_err());
        assert_eq!(colour("#AABBCC"), Ok("#aabbcc".to_owned()));
        assert!(colour("red").is_err());
        assert!(text("", 10, true).is_err());
        assert!(text("abcdefghijk", 10, false).is_err());
        assert!(optional_date("2026-02-30").is_err());
        assert!(optional_date("2026-02-28").unwrap().is_some());
        assert!("abc" < prefix_end("abc").as_str() && "abcz" < prefix_end("abc").as_str());
    }
}

/// A wait of `seconds` as people say it: "40 seconds", "12 minutes", "3 hours", "5 days"
/// (rounded up, so it is never too short).
pub fn wait_text(seconds: i64) -> String {
    let s = seconds.max(1);
    let (n, unit) = match s {
        0..=119 => (s, "second"),
        120..=7199 => ((s + 59) / 60, "minute"),
        7200..=172_799 => ((s + 3599) / 3600, "hour"),
        _ => ((s + 86_399) / 86_400, "day"),
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod wait_tests {
    #[test]
    fn waits_read_as_people_say_them_and_never_too_short() {
        assert_eq!(super::wait_text(0), "1 second");
        assert_eq!(super::wait_text(45), "45 seconds");
        assert_eq!(super::wait_text(121), "3 minutes");
        assert_eq!(super::wait_text(3600), "60 minutes");
        assert_eq!(super::wait_text(7201), "3 hours");
        assert_eq!(super::wait_text(30 * 86_400), "30 days");
    }
}
