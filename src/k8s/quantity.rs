//! Kubernetes quantities (`500m`, `2`, `1.5Gi`, `1e3`): the one suffix table, parsing, exact
//! comparison and addition, the canonical text the API server stores, and the figures shown to
//! people (whole cores or millicores, the largest exact binary unit).
//!
//! Semantics are those of Go's `resource.Quantity` (k8s.io/apimachinery): an optional sign, a
//! decimal number (`5`, `.5`, `5.`), then a decimal SI suffix (`n u m k M G T P E`), a binary
//! one (`Ki`…`Ei`) or a decimal exponent (`e3`, `E-2`); the value is rounded up (away from
//! zero) to a multiple of 10⁻⁹; a binary value above 2⁶³−1 is capped there, and a binary value
//! between 0 and 1 is written in decimal. Two departures, both refusals of text Go reads as
//! zero: a quantity must have a digit (`+`, `.`, `Gi` are refused), and values are exact only up
//! to 10²⁹ (38 significant digits in nano-units); beyond that parsing is an error
//! ([`Error::TooLarge`]) and arithmetic saturates there ([`Quantity::saturating_add`]) or says
//! so ([`Quantity::checked_add`]). Pure std.

use std::cmp::Ordering;
use std::fmt;

/// How a quantity was written, which its canonical text keeps (Go's `resource.Format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `500m`, `2`, `10G`.
    DecimalSi,
    /// `10Gi`, `512Mi`.
    BinarySi,
    /// `1e3`.
    DecimalExponent,
}

/// What a suffix multiplies the number by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base {
    /// 10 to this power (`m` is −3, `k` is 3, no suffix is 0).
    Decimal(i32),
    /// 2 to this power (`Ki` is 10).
    Binary(u32),
}

/// THE suffix table: every unit of a Kubernetes quantity, and what it means. Nothing else in
/// agentctl spells a unit.
const SUFFIXES: [(&str, Base); 16] = [
    ("n", Base::Decimal(-9)),
    ("u", Base::Decimal(-6)),
    ("m", Base::Decimal(-3)),
    ("", Base::Decimal(0)),
    ("k", Base::Decimal(3)),
    ("M", Base::Decimal(6)),
    ("G", Base::Decimal(9)),
    ("T", Base::Decimal(12)),
    ("P", Base::Decimal(15)),
    ("E", Base::Decimal(18)),
    ("Ki", Base::Binary(10)),
    ("Mi", Base::Binary(20)),
    ("Gi", Base::Binary(30)),
    ("Ti", Base::Binary(40)),
    ("Pi", Base::Binary(50)),
    ("Ei", Base::Binary(60)),
];

/// A suffix: its table entry, or a decimal exponent (`e3`, `E-2`); `None` when it is neither.
pub fn suffix(text: &str) -> Option<(Base, Format)> {
    if let Some((_, base)) = SUFFIXES.iter().find(|(s, _)| *s == text) {
        let format = match base {
            Base::Binary(_) => Format::BinarySi,
            Base::Decimal(_) => Format::DecimalSi,
        };
        return Some((*base, format));
    }
    let exp = text.strip_prefix(['e', 'E']).filter(|e| !e.is_empty())?;
    // Go reads the exponent as a signed 32-bit integer, sign and digits only.
    if !exp
        .trim_start_matches(['+', '-'])
        .bytes()
        .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    Some((Base::Decimal(exp.parse().ok()?), Format::DecimalExponent))
}

/// The binary suffix (`Gi`) a suffix written in the wrong case (`gi`, `GI`) was meant to be.
pub fn binary_suffix_ignoring_case(text: &str) -> Option<&'static str> {
    SUFFIXES
        .iter()
        .filter(|(_, b)| matches!(b, Base::Binary(_)))
        .map(|(s, _)| *s)
        .find(|s| s.eq_ignore_ascii_case(text))
}

/// Whether `text` is a whole number followed by a unit (`64Mi`, `500m`, `2k`, not `2`, `2e3`
/// nor `064Mi`): text no YAML reading takes for anything but a string.
pub fn is_suffixed_integer(text: &str) -> bool {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0
        && !text.starts_with('0')
        && SUFFIXES
            .iter()
            .any(|(s, _)| !s.is_empty() && *s == &text[digits..])
}

/// The number part and the suffix of a quantity's text: an optional leading sign, then digits
/// and dots, then the rest.
pub fn split(text: &str) -> (&str, &str) {
    let end = text
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || c == '.' || (i == 0 && (c == '+' || c == '-'))))
        .map_or(text.len(), |(i, _)| i);
    text.split_at(end)
}

/// Why a text is not a quantity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// Nothing written.
    Empty,
    /// No digit before the suffix (`Gi`, `+`, `-5` is fine).
    NoNumber,
    /// The number part is not a number (`1.2.3`, `.`); holds it.
    BadNumber(String),
    /// The suffix is not a unit nor an exponent; holds the number and the suffix.
    UnknownSuffix(String, String),
    /// Beyond what agentctl counts exactly (10²⁹, or 38 significant digits).
    TooLarge,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Empty => f.write_str("it is empty"),
            Error::NoNumber => f.write_str("it does not start with a number"),
            Error::BadNumber(n) => write!(f, "`{n}` is not a number"),
            Error::UnknownSuffix(_, s) => write!(f, "unknown suffix `{s}`"),
            Error::TooLarge => {
                f.write_str("it is larger than agentctl can count exactly (10^29, 38 digits)")
            }
        }
    }
}

impl std::error::Error for Error {}

const NANO: i128 = 1_000_000_000;
/// The bound of exact arithmetic, in nano-units: 10²⁹ units.
const LIMIT: i128 = 10i128.pow(38);
/// Go caps a binary quantity at the largest int64, in units.
const BINARY_CAP: i128 = i64::MAX as i128 * NANO;

/// A Kubernetes quantity: its exact value (in nano-units) and the format it was written in.
/// Compares, orders and hashes by value only (`2000m` equals `2`; `1Gi` equals `1024Mi`).
#[derive(Debug, Clone, Copy)]
pub struct Quantity {
    nanos: i128,
    format: Format,
}

impl PartialEq for Quantity {
    fn eq(&self, other: &Self) -> bool {
        self.nanos == other.nanos
    }
}
impl Eq for Quantity {}
impl PartialOrd for Quantity {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Quantity {
    fn cmp(&self, other: &Self) -> Ordering {
        self.nanos.cmp(&other.nanos)
    }
}
impl std::hash::Hash for Quantity {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.nanos.hash(state);
    }
}

impl Default for Quantity {
    fn default() -> Self {
        Quantity::ZERO
    }
}

impl std::str::FromStr for Quantity {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Quantity::parse(s)
    }
}

/// The canonical text, as the API server stores it ([`Quantity::canonical`]).
impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical())
    }
}

impl Quantity {
    /// Zero.
    pub const ZERO: Quantity = Quantity {
        nanos: 0,
        format: Format::DecimalSi,
    };

    /// `n` whole units (`Quantity::units(3)` is `3`).
    pub fn units(n: i64) -> Quantity {
        Quantity {
            nanos: i128::from(n) * NANO,
            format: Format::DecimalSi,
        }
    }

    /// `n` thousandths (`Quantity::milli(500)` is `500m`).
    pub fn milli(n: i64) -> Quantity {
        Quantity {
            nanos: i128::from(n) * 1_000_000,
            format: Format::DecimalSi,
        }
    }

    /// Parses a quantity's text (see the module doc for the grammar and the departures from Go).
    pub fn parse(text: &str) -> Result<Quantity, Error> {
        if text.is_empty() {
            return Err(Error::Empty);
        }
        let (number, suffix_text) = split(text);
        let (negative, unsigned) = match number.as_bytes().first() {
            Some(b'-') => (true, &number[1..]),
            Some(b'+') => (false, &number[1..]),
            _ => (false, number),
        };
        if unsigned.is_empty() {
            return Err(Error::NoNumber);
        }
        let (whole, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
        if frac.contains('.') || (whole.is_empty() && frac.is_empty()) {
            return Err(Error::BadNumber(number.to_owned()));
        }
        let Some((base, mut format)) = suffix(suffix_text) else {
            return Err(Error::UnknownSuffix(
                number.to_owned(),
                suffix_text.to_owned(),
            ));
        };
        // value = digits × 10^(exp10 − len(frac)) × 2^exp2; in nano-units, 10^(… + 9).
        let frac = frac.trim_end_matches('0');
        let digits = format!("{whole}{frac}");
        let digits = digits.trim_start_matches('0');
        let (exp10, exp2) = match base {
            Base::Decimal(e) => (e, 0),
            Base::Binary(e) => (0, e),
        };
        let frac_len = i32::try_from(frac.len()).map_err(|_| Error::TooLarge)?;
        let scale = i64::from(exp10) - i64::from(frac_len) + 9;
        let mut magnitude: i128 = if digits.is_empty() {
            0
        } else {
            let d: u128 = digits.parse().map_err(|_| Error::TooLarge)?;
            let d = i128::try_from(d).map_err(|_| Error::TooLarge)?;
            let d = d
                .checked_mul(1i128.checked_shl(exp2).ok_or(Error::TooLarge)?)
                .ok_or(Error::TooLarge)?;
            if d == 0 {
                0
            } else if scale >= 0 {
                let scale = u32::try_from(scale).map_err(|_| Error::TooLarge)?;
                10i128
                    .checked_pow(scale)
                    .and_then(|p| d.checked_mul(p))
                    .ok_or(Error::TooLarge)?
            } else {
                // Rounded up to a whole nano-unit ("if you want some resources, you should get
                // some"); a divisor past i128 leaves the smallest amount, one nano-unit.
                u32::try_from(-scale)
                    .ok()
                    .and_then(|s| 10i128.checked_pow(s))
                    .map_or(1, |p| d.div_euclid(p) + i128::from(d.rem_euclid(p) != 0))
            }
        };
        if magnitude > LIMIT {
            return Err(Error::TooLarge);
        }
        if format == Format::BinarySi {
            magnitude = magnitude.min(BINARY_CAP);
            if magnitude > 0 && magnitude < NANO {
                format = Format::DecimalSi;
            }
        }
        Ok(Quantity {
            nanos: if negative { -magnitude } else { magnitude },
            format,
        })
    }

    /// The quantity in a JSON field, written as a string (spaces around it ignored, as the API
    /// server's decoder does) or as a number; `None` for anything else or an invalid one.
    pub fn of_json(v: &serde_json::Value) -> Option<Quantity> {
        match v {
            serde_json::Value::String(s) => Quantity::parse(s.trim()).ok(),
            serde_json::Value::Number(n) => Quantity::parse(&n.to_string()).ok(),
            _ => None,
        }
    }

    /// The format it was written in.
    pub fn format(self) -> Format {
        self.format
    }

    /// Whether it is zero.
    pub fn is_zero(self) -> bool {
        self.nanos == 0
    }

    /// Whether it is below zero.
    pub fn is_negative(self) -> bool {
        self.nanos < 0
    }

    /// The value in nano-units (`1` is 10⁹).
    pub fn nanos(self) -> i128 {
        self.nanos
    }

    /// The value in thousandths, rounded up; `None` when negative.
    pub fn milli_ceil(self) -> Option<u128> {
        u128::try_from(self.nanos)
            .ok()
            .map(|n| n.div_ceil(1_000_000))
    }

    /// The value as a float: whole units exact up to 2⁵³, the fraction correctly rounded.
    pub fn as_f64(self) -> f64 {
        let whole = self.nanos / NANO;
        let frac = self.nanos % NANO;
        // Exact conversions for the values a pod spec holds; the cast is the intent.
        #[allow(clippy::cast_precision_loss)]
        let v = whole as f64 + frac as f64 / NANO as f64;
        v
    }

    /// The sum, or [`Error::TooLarge`] past 10²⁹. The format is the left side's, as in Go.
    pub fn checked_add(self, other: Quantity) -> Result<Quantity, Error> {
        let nanos = self
            .nanos
            .checked_add(other.nanos)
            .filter(|n| n.abs() <= LIMIT)
            .ok_or(Error::TooLarge)?;
        Ok(Quantity {
            nanos,
            format: self.format,
        })
    }

    /// The sum, held at ±10²⁹ past it.
    pub fn saturating_add(self, other: Quantity) -> Quantity {
        Quantity {
            nanos: self.nanos.saturating_add(other.nanos).clamp(-LIMIT, LIMIT),
            format: self.format,
        }
    }

    /// `n` times the value, held at ±10²⁹ past it.
    pub fn saturating_mul(self, n: i64) -> Quantity {
        Quantity {
            nanos: self
                .nanos
                .saturating_mul(i128::from(n))
                .clamp(-LIMIT, LIMIT),
            format: self.format,
        }
    }

    /// The canonical text, as the API server stores and serves it: zero is `0`; a binary
    /// quantity that is a whole number of at least 1024 keeps the largest binary unit that
    /// keeps it whole, and is written in decimal otherwise; a decimal one gets the largest SI
    /// suffix (`m`, none, `k`, `M`, …) that keeps the number whole; an exponent one an `e`
    /// exponent that is a multiple of 3.
    pub fn canonical(self) -> String {
        if self.nanos == 0 {
            return "0".to_owned();
        }
        let sign = if self.nanos < 0 { "-" } else { "" };
        let mut mantissa = self.nanos.unsigned_abs();
        let mut format = self.format;
        if format == Format::BinarySi {
            let nano = NANO.unsigned_abs();
            match mantissa.is_multiple_of(nano).then(|| mantissa / nano) {
                Some(mut n) if n >= 1024 => {
                    let mut unit = 0;
                    while n.is_multiple_of(1024) && unit < 60 {
                        n /= 1024;
                        unit += 10;
                    }
                    return format!("{sign}{n}{}", unit_text(Base::Binary(unit)));
                }
                _ => format = Format::DecimalSi,
            }
        }
        // The largest exponent that keeps the number whole, then down to a multiple of 3.
        let mut scale: i32 = -9;
        while mantissa.is_multiple_of(10) {
            mantissa /= 10;
            scale += 1;
        }
        let down = scale.rem_euclid(3);
        mantissa *= 10u128.pow(down.unsigned_abs());
        scale -= down;
        let suffix = match format {
            Format::DecimalExponent if scale == 0 => String::new(),
            Format::DecimalExponent => format!("e{scale}"),
            _ => SUFFIXES
                .iter()
                .find(|(_, b)| *b == Base::Decimal(scale))
                .map_or_else(|| format!("e{scale}"), |(s, _)| (*s).to_owned()),
        };
        format!("{sign}{mantissa}{suffix}")
    }

    /// A CPU figure for people: whole cores when exact (`26`), else millicores rounded up
    /// (`25950m`).
    pub fn cpu_text(self) -> String {
        cpu_text(self.milli_ceil().unwrap_or(0))
    }

    /// A memory figure for people: whole bytes (rounded up) in the largest exact binary unit
    /// (`52Gi`, `1536Mi`), else bytes.
    pub fn memory_text(self) -> String {
        memory_text(self.milli_ceil().unwrap_or(0))
    }
}

/// The text of a unit of the table.
fn unit_text(base: Base) -> &'static str {
    SUFFIXES
        .iter()
        .find(|(_, b)| *b == base)
        .map_or("", |(s, _)| s)
}

/// Millicores for people: whole cores when exact (`26`), else millicores (`25950m`).
pub fn cpu_text(milli: u128) -> String {
    if milli.is_multiple_of(1000) {
        format!("{}", milli / 1000)
    } else {
        format!("{milli}{}", unit_text(Base::Decimal(-3)))
    }
}

/// Thousandths of a byte for people: whole bytes (rounded up) in the largest exact binary unit
/// (`52Gi`, `1536Mi`), else bytes.
pub fn memory_text(milli: u128) -> String {
    let bytes = milli.div_ceil(1000);
    for exp in [60u32, 50, 40, 30, 20, 10] {
        let size = 1u128 << exp;
        if bytes >= size && bytes.is_multiple_of(size) {
            return format!("{}{}", bytes / size, unit_text(Base::Binary(exp)));
        }
    }
    bytes.to_string()
}

/// Rounds thousandths up to a whole core (`cpu`) or a whole Gi (memory).
pub fn round_up_milli(milli: u128, cpu: bool) -> u128 {
    let unit = if cpu { 1000 } else { (1u128 << 30) * 1000 };
    milli.div_ceil(unit).saturating_mul(unit)
}

#[cfg(test)]
mod tests;
