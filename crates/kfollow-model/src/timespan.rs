//! Kusto timespans: the literals of
//! <https://learn.microsoft.com/kusto/query/scalar-data-types/timespan>, the `d.hh:mm:ss` form the
//! service answers with, and the ISO 8601 durations ARM uses for `hotCachePeriod`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

const TICKS_PER_MICROSECOND: i64 = 10;
const TICKS_PER_MILLISECOND: i64 = 10_000;
const TICKS_PER_SECOND: i64 = 10_000_000;
const TICKS_PER_MINUTE: i64 = 60 * TICKS_PER_SECOND;
const TICKS_PER_HOUR: i64 = 60 * TICKS_PER_MINUTE;
const TICKS_PER_DAY: i64 = 24 * TICKS_PER_HOUR;

/// A time interval with the service's precision (one tick = 100 ns).
///
/// Two timespans are equal when they last as long, whatever form they were written in:
/// `7d`, `168h`, `timespan(7.00:00:00)` and `P7D` are one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timespan {
    ticks: i64,
}

/// Why a string is not a timespan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimespanError {
    text: String,
}

impl fmt::Display for TimespanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not a Kusto timespan (write e.g. `7d`, `12h`, `30m`, `10s`, `100ms` or `timespan(1.12:00:00)`)",
            self.text
        )
    }
}

impl std::error::Error for TimespanError {}

impl Timespan {
    /// A timespan of `ticks` × 100 ns.
    pub const fn from_ticks(ticks: i64) -> Timespan {
        Timespan { ticks }
    }

    /// A timespan of whole days.
    pub const fn from_days(days: i64) -> Timespan {
        Timespan {
            ticks: days * TICKS_PER_DAY,
        }
    }

    /// A timespan of whole seconds.
    pub const fn from_secs(secs: i64) -> Timespan {
        Timespan {
            ticks: secs * TICKS_PER_SECOND,
        }
    }

    /// The length in ticks of 100 ns.
    pub const fn ticks(self) -> i64 {
        self.ticks
    }

    /// True for a negative interval, which no policy accepts.
    pub const fn is_negative(self) -> bool {
        self.ticks < 0
    }

    /// The shortest Kusto literal for this value (`7d`, `36h`, `100ms`, `15tick`), as the
    /// management commands take it.
    pub fn to_literal(self) -> String {
        let sign = if self.ticks < 0 { "-" } else { "" };
        let t = self.ticks.unsigned_abs();
        let units: [(u64, &str); 6] = [
            (TICKS_PER_DAY as u64, "d"),
            (TICKS_PER_HOUR as u64, "h"),
            (TICKS_PER_MINUTE as u64, "m"),
            (TICKS_PER_SECOND as u64, "s"),
            (TICKS_PER_MILLISECOND as u64, "ms"),
            (TICKS_PER_MICROSECOND as u64, "microsecond"),
        ];
        if t == 0 {
            return "0s".to_owned();
        }
        for (size, unit) in units {
            if t.is_multiple_of(size) {
                return format!("{sign}{}{unit}", t / size);
            }
        }
        format!("{sign}{t}tick")
    }

    /// The .NET form the service prints: `[-][d.]hh:mm:ss[.fffffff]`, e.g. `7.00:00:00`.
    pub fn to_dotnet(self) -> String {
        let Parts {
            sign,
            days,
            hours,
            minutes,
            minute_ticks,
        } = self.parts();
        let seconds = minute_ticks / TICKS_PER_SECOND as u64;
        let fraction = minute_ticks % TICKS_PER_SECOND as u64;
        let mut out = String::from(sign);
        if days > 0 {
            out.push_str(&format!("{days}."));
        }
        out.push_str(&format!("{hours:02}:{minutes:02}:{seconds:02}"));
        if fraction > 0 {
            out.push_str(&format!(".{fraction:07}"));
        }
        out
    }

    /// The ISO 8601 duration ARM uses for `hotCachePeriod`, e.g. `P7D`, `PT12H`, `P1DT6H`.
    pub fn to_iso8601(self) -> String {
        let Parts {
            sign,
            days,
            hours,
            minutes,
            minute_ticks: ticks,
        } = self.parts();
        let rest = self.ticks.unsigned_abs() % TICKS_PER_DAY as u64;
        let mut out = format!("{sign}P");
        if days > 0 {
            out.push_str(&format!("{days}D"));
        }
        if rest > 0 || days == 0 {
            out.push('T');
            if hours > 0 {
                out.push_str(&format!("{hours}H"));
            }
            if minutes > 0 {
                out.push_str(&format!("{minutes}M"));
            }
            if ticks > 0 || (hours == 0 && minutes == 0) {
                let whole = ticks / TICKS_PER_SECOND as u64;
                let fraction = ticks % TICKS_PER_SECOND as u64;
                if fraction == 0 {
                    out.push_str(&format!("{whole}S"));
                } else {
                    let digits = format!("{fraction:07}");
                    out.push_str(&format!("{whole}.{}S", digits.trim_end_matches('0')));
                }
            }
        }
        out
    }

    /// The value split into the units both printed forms use.
    fn parts(self) -> Parts {
        let t = self.ticks.unsigned_abs();
        let rest = t % TICKS_PER_DAY as u64;
        Parts {
            sign: if self.ticks < 0 { "-" } else { "" },
            days: t / TICKS_PER_DAY as u64,
            hours: rest / TICKS_PER_HOUR as u64,
            minutes: rest % TICKS_PER_HOUR as u64 / TICKS_PER_MINUTE as u64,
            minute_ticks: rest % TICKS_PER_MINUTE as u64,
        }
    }

    /// Parses any form: a Kusto literal, `timespan(…)`, the .NET form, or ISO 8601.
    pub fn parse(text: &str) -> Result<Timespan, TimespanError> {
        let err = || TimespanError {
            text: text.to_owned(),
        };
        let trimmed = text.trim();
        let (negative, body) = match trimmed.strip_prefix('-') {
            Some(rest) => (true, rest.trim_start()),
            None => (false, trimmed),
        };
        let ticks = if let Some(inner) = body
            .strip_prefix("timespan(")
            .or_else(|| body.strip_prefix("time("))
            .and_then(|rest| rest.strip_suffix(')'))
        {
            parse_function_argument(inner.trim()).ok_or_else(err)?
        } else if body.starts_with('P') || body.starts_with('p') {
            parse_iso8601(&body[1..]).ok_or_else(err)?
        } else if body.contains(':') {
            parse_dotnet(body).ok_or_else(err)?
        } else {
            parse_unit_literal(body).ok_or_else(err)?
        };
        Ok(Timespan {
            ticks: if negative { -ticks } else { ticks },
        })
    }
}

/// A timespan in days, hours, minutes and the ticks of the last minute.
struct Parts {
    sign: &'static str,
    days: u64,
    hours: u64,
    minutes: u64,
    minute_ticks: u64,
}

/// `<decimal><unit>`, e.g. `7d`, `1.5h`, `100ms`.
fn parse_unit_literal(body: &str) -> Option<i64> {
    let split = body.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (number, unit) = body.split_at(split);
    let per_unit = match unit {
        "d" | "day" | "days" => TICKS_PER_DAY,
        "h" | "hr" | "hrs" | "hour" | "hours" => TICKS_PER_HOUR,
        "m" | "min" | "minute" | "minutes" => TICKS_PER_MINUTE,
        "s" | "sec" | "second" | "seconds" => TICKS_PER_SECOND,
        "ms" | "milli" | "millis" | "millisecond" | "milliseconds" => TICKS_PER_MILLISECOND,
        "microsecond" | "microseconds" => TICKS_PER_MICROSECOND,
        "tick" | "ticks" => 1,
        _ => return None,
    };
    scale_decimal(number, per_unit)
}

/// The argument of `timespan(…)`: `N seconds`, `N` (days) or the .NET form.
fn parse_function_argument(inner: &str) -> Option<i64> {
    if let Some(number) = inner.strip_suffix("seconds") {
        return scale_decimal(number.trim(), TICKS_PER_SECOND);
    }
    if inner.contains(':') {
        return parse_dotnet(inner);
    }
    if inner.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return scale_decimal(inner, TICKS_PER_DAY);
    }
    parse_unit_literal(inner)
}

/// `[d.]hh:mm[:ss[.fffffff]]`.
fn parse_dotnet(text: &str) -> Option<i64> {
    let mut parts = text.split(':');
    let first = parts.next()?;
    let minutes: i64 = parse_digits(parts.next()?)?;
    let seconds_part = parts.next();
    if parts.next().is_some() {
        return None;
    }
    let (days, hours) = match first.split_once('.') {
        Some((d, h)) => (parse_digits(d)?, parse_digits(h)?),
        None => (0, parse_digits(first)?),
    };
    if hours >= 24 || minutes >= 60 {
        return None;
    }
    let second_ticks = match seconds_part {
        Some(s) => {
            let ticks = scale_decimal(s, TICKS_PER_SECOND)?;
            if ticks >= TICKS_PER_MINUTE {
                return None;
            }
            ticks
        }
        None => 0,
    };
    days.checked_mul(TICKS_PER_DAY)?
        .checked_add(hours * TICKS_PER_HOUR + minutes * TICKS_PER_MINUTE + second_ticks)
}

/// The part of an ISO 8601 duration after `P`: `[nD][T[nH][nM][n[.f]S]]`.
fn parse_iso8601(text: &str) -> Option<i64> {
    let upper = text.to_ascii_uppercase();
    let (date, time) = match upper.split_once('T') {
        Some((d, t)) => (d.to_owned(), Some(t.to_owned())),
        None => (upper.clone(), None),
    };
    let mut ticks: i64 = 0;
    let mut any = false;
    let mut take = |designators: &str, units: &[(char, i64)]| -> Option<()> {
        let mut number = String::new();
        for c in designators.chars() {
            if c.is_ascii_digit() || c == '.' {
                number.push(c);
                continue;
            }
            let per = units.iter().find(|(u, _)| *u == c)?.1;
            ticks = ticks.checked_add(scale_decimal(&number, per)?)?;
            number.clear();
            any = true;
        }
        number.is_empty().then_some(())
    };
    take(&date, &[('W', 7 * TICKS_PER_DAY), ('D', TICKS_PER_DAY)])?;
    if let Some(time) = time {
        if time.is_empty() {
            return None;
        }
        take(
            &time,
            &[
                ('H', TICKS_PER_HOUR),
                ('M', TICKS_PER_MINUTE),
                ('S', TICKS_PER_SECOND),
            ],
        )?;
    }
    any.then_some(ticks)
}

fn parse_digits(text: &str) -> Option<i64> {
    if text.is_empty() || !text.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// `number` (digits, optionally one `.` and more digits) × `per_unit`, exact to the tick.
fn scale_decimal(number: &str, per_unit: i64) -> Option<i64> {
    let (whole, fraction) = match number.split_once('.') {
        Some((w, f)) => (w, f),
        None => (number, ""),
    };
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    let whole_value = if whole.is_empty() {
        0
    } else {
        parse_digits(whole)?
    };
    let mut ticks = whole_value.checked_mul(per_unit)?;
    if !fraction.is_empty() {
        if !fraction.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let mut scale = per_unit;
        for digit in fraction.chars().take(18) {
            scale /= 10;
            ticks = ticks.checked_add(i64::from(digit.to_digit(10)? as u8) * scale)?;
        }
    }
    Some(ticks)
}

impl FromStr for Timespan {
    type Err = TimespanError;

    fn from_str(text: &str) -> Result<Timespan, TimespanError> {
        Timespan::parse(text)
    }
}

impl fmt::Display for Timespan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_literal())
    }
}

impl Serialize for Timespan {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timespan {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Timespan, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(text: &str) -> Timespan {
        Timespan::parse(text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn literal_forms_mean_the_same_duration() {
        let week = Timespan::from_days(7);
        for form in [
            "7d",
            "168h",
            "10080m",
            "timespan(7)",
            "timespan(7.00:00:00)",
            "7.00:00:00",
            "P7D",
            "PT168H",
            "timespan(604800 seconds)",
            "P1W",
        ] {
            assert_eq!(ts(form), week, "{form}");
        }
        assert_eq!(ts("1.5h"), ts("90m"));
        assert_eq!(ts("100ms").ticks(), 1_000_000);
        assert_eq!(ts("1tick").ticks(), 1);
        assert_eq!(ts("10microsecond").ticks(), 100);
        assert_eq!(
            ts("timespan(0.12:34:56.7)"),
            ts("12h") + ts("34m") + ts("56.7s")
        );
        assert!(ts("-1d").is_negative());
    }

    #[test]
    fn rejects_what_is_not_a_timespan() {
        for bad in [
            "", "7", "7w", "d", "1.2.3d", "P", "PT", "25:00:00", "12:61", "abc",
        ] {
            assert!(Timespan::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn formats_round_trip() {
        for text in [
            "7d", "36h", "30m", "10s", "100ms", "15tick", "1d", "0s", "P1DT6H",
        ] {
            let value = ts(text);
            assert_eq!(ts(&value.to_literal()), value);
            assert_eq!(ts(&value.to_dotnet()), value);
            assert_eq!(ts(&value.to_iso8601()), value);
        }
        assert_eq!(ts("7d").to_dotnet(), "7.00:00:00");
        assert_eq!(ts("12h").to_dotnet(), "12:00:00");
        assert_eq!(ts("30d").to_iso8601(), "P30D");
        assert_eq!(ts("36h").to_iso8601(), "P1DT12H");
        assert_eq!(ts("36h").to_literal(), "36h");
        assert_eq!(ts("0s").to_iso8601(), "PT0S");
    }

    proptest::proptest! {
        #[test]
        fn any_tick_count_round_trips(ticks in 0i64..(3650 * TICKS_PER_DAY)) {
            let value = Timespan::from_ticks(ticks);
            proptest::prop_assert_eq!(Timespan::parse(&value.to_literal()).unwrap(), value);
            proptest::prop_assert_eq!(Timespan::parse(&value.to_dotnet()).unwrap(), value);
            proptest::prop_assert_eq!(Timespan::parse(&value.to_iso8601()).unwrap(), value);
        }

        #[test]
        fn parse_never_panics(text in ".{0,40}") {
            let _ = Timespan::parse(&text);
        }
    }

    impl std::ops::Add for Timespan {
        type Output = Timespan;
        fn add(self, other: Timespan) -> Timespan {
            Timespan::from_ticks(self.ticks + other.ticks)
        }
    }
}
