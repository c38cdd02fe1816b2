//! Amounts as exports write them: `1,122.75` (Google Ads), `1.234,56 €` (a European shop),
//! `£120.00` (a till), `EUR 80` — a decimal separator, thousands grouped by `,` `.` spaces or
//! `'`, and a currency symbol or code before or after.

/// The decimal separator of a source's numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Decimal {
    /// `1,234.56` (the default).
    #[default]
    Point,
    /// `1.234,56`.
    Comma,
}

impl Decimal {
    /// From the config's `decimal = "."` or `","`.
    pub fn parse(text: &str) -> Result<Decimal, String> {
        match text.trim() {
            "." => Ok(Decimal::Point),
            "," => Ok(Decimal::Comma),
            other => Err(format!(
                "\"{other}\" is not a decimal separator (use \".\" or \",\")"
            )),
        }
    }

    fn char(self) -> char {
        match self {
            Decimal::Point => '.',
            Decimal::Comma => ',',
        }
    }
}

/// A number written as text: plain (`1234.5`, `1e3`) or with thousands separators in groups
/// of three and a currency symbol or code around it. Err says why not.
pub fn parse_number(text: &str, decimal: Decimal) -> Result<f64, String> {
    let t = text.trim();
    if decimal == Decimal::Point {
        if let Ok(x) = t.parse::<f64>() {
            return Ok(x);
        }
    }
    let not_a_number = || {
        let hint = match decimal {
            Decimal::Point if t.contains(',') && !grouped(t, ',') => {
                " (for a decimal comma, set decimal = \",\")"
            }
            _ => "",
        };
        format!("\"{t}\" is not a number{hint}")
    };
    // A sign before the currency (`-£5.00`) or after it (`£-5.00`).
    let (negative, rest) = sign_of(t);
    let (inner_negative, digits) = sign_of(strip_currency(rest).ok_or_else(not_a_number)?);
    let sign = if negative != inner_negative {
        -1.0
    } else {
        1.0
    };
    let (whole, fraction) = match digits.rsplit_once(decimal.char()) {
        Some((w, f)) if f.chars().all(|c| c.is_ascii_digit()) => (w, Some(f)),
        Some(_) => return Err(not_a_number()),
        None => (digits, None),
    };
    let whole = ungrouped(whole, decimal).ok_or_else(not_a_number)?;
    let plain = match fraction {
        Some(f) => format!("{whole}.{f}"),
        None => whole,
    };
    plain
        .parse::<f64>()
        .map(|x| sign * x)
        .map_err(|_| not_a_number())
}

/// Whether `t` starts with a minus, and the rest after any sign.
fn sign_of(t: &str) -> (bool, &str) {
    match t.strip_prefix('-') {
        Some(rest) => (true, rest.trim_start()),
        None => (false, t.strip_prefix('+').unwrap_or(t).trim_start()),
    }
}

/// The number inside a currency symbol or code (`$`, `€`, `EUR`, `US$`), or None when what
/// surrounds the digits is something else.
fn strip_currency(t: &str) -> Option<&str> {
    let is_number_char = |c: char| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | ',');
    let start = t.find(is_number_char)?;
    let end = t.rfind(|c: char| c.is_ascii_digit())? + 1;
    // Symbols, and letters only as a code or an abbreviation (`EUR`, `US$`, `kr`, `zł`).
    let currency = |s: &str| {
        let s = s.trim();
        s.chars()
            .all(|c| c.is_alphabetic() || is_currency_symbol(c))
            && s.chars().filter(|c| c.is_alphabetic()).count() <= 3
    };
    (start < end && currency(&t[..start]) && currency(&t[end..])).then(|| t[start..end].trim())
}

/// Unicode's currency symbols (category Sc) that exports write.
fn is_currency_symbol(c: char) -> bool {
    matches!(
        c,
        '$' | '€'
            | '£'
            | '¥'
            | '₹'
            | '₩'
            | '₽'
            | '₺'
            | '₪'
            | '₫'
            | '฿'
            | '₴'
            | '₦'
            | '₱'
            | '¢'
    ) || ('\u{20A0}'..='\u{20CF}').contains(&c)
}

/// The integer digits without thousands separators, when they group as thousands do (one to
/// three digits, then groups of three), or have none.
fn ungrouped(whole: &str, decimal: Decimal) -> Option<String> {
    let separator = whole.chars().find(|c| !c.is_ascii_digit());
    let Some(separator) = separator else {
        return (!whole.is_empty()).then(|| whole.to_string());
    };
    let allowed = match decimal {
        Decimal::Point => [',', ' ', '\u{a0}', '\u{202f}', '\''],
        Decimal::Comma => ['.', ' ', '\u{a0}', '\u{202f}', '\''],
    };
    (allowed.contains(&separator) && grouped(whole, separator))
        .then(|| whole.chars().filter(char::is_ascii_digit).collect())
}

/// Whether `whole` is digits grouped in thousands by `separator`.
fn grouped(whole: &str, separator: char) -> bool {
    let mut groups = whole.split(separator);
    let first_ok = groups
        .next()
        .is_some_and(|g| (1..=3).contains(&g.len()) && g.chars().all(|c| c.is_ascii_digit()));
    first_ok && groups.all(|g| g.len() == 3 && g.chars().all(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_exports_write_them() {
        let point = |t: &str| parse_number(t, Decimal::Point);
        let comma = |t: &str| parse_number(t, Decimal::Comma);
        assert_eq!(point("1122.75"), Ok(1122.75));
        assert_eq!(point("1,122.75"), Ok(1122.75));
        assert_eq!(point("$1,122.75"), Ok(1122.75));
        assert_eq!(point("£120.00"), Ok(120.0));
        assert_eq!(point("EUR 80"), Ok(80.0));
        assert_eq!(point("1 234 567.5 USD"), Ok(1234567.5));
        assert_eq!(point("12'500.00"), Ok(12500.0));
        assert_eq!(point("-£5.00"), Ok(-5.0));
        assert_eq!(comma("1.234,56 €"), Ok(1234.56));
        assert_eq!(comma("1234,5"), Ok(1234.5));
        assert_eq!(comma("80"), Ok(80.0));
        assert_eq!(point("1e3"), Ok(1000.0));
    }

    #[test]
    fn ambiguous_or_broken_numbers_are_refused() {
        let point = |t: &str| parse_number(t, Decimal::Point);
        assert_eq!(
            point("1234,56"),
            Err("\"1234,56\" is not a number (for a decimal comma, set decimal = \",\")".into())
        );
        assert!(point("1,22.5").is_err(), "a group of two is not thousands");
        assert!(point("12.34.56").is_err());
        assert!(point("abc").is_err());
        assert!(point("5 apples").is_err());
        assert!(
            point("1.234,56").is_err(),
            "a decimal comma needs the setting"
        );
        assert!(parse_number("1,234.56", Decimal::Comma).is_err());
    }
}
