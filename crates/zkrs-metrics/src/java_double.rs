//! [`java_double`]: Java's `Double.toString`, the form of every value in the exposition.

/// `Double.toString(v)`: `0.0`, `1.0238`, `1.0E7`, `1.0E-4`, `NaN`, `Infinity`.
///
/// Decimal notation for magnitudes in [10^-3, 10^7), computerized scientific notation (`E`,
/// at least one fractional digit) otherwise; the shortest digits that round-trip.
pub fn java_double(v: f64) -> String {
    if v.is_nan() {
        return "NaN".to_string();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity" } else { "-Infinity" }.to_string();
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0.0" } else { "0.0" }.to_string();
    }
    let abs = v.abs();
    if (1e-3..1e7).contains(&abs) {
        let s = format!("{v}");
        if s.contains('.') {
            s
        } else {
            format!("{s}.0")
        }
    } else {
        // Rust's shortest `{:e}` is `1.2345e-4`; Java writes `1.2345E-4` and always keeps a
        // fractional digit in the mantissa.
        let s = format!("{v:e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((s.as_str(), "0"));
        if mantissa.contains('.') {
            format!("{mantissa}E{exp}")
        } else {
            format!("{mantissa}.0E{exp}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::java_double;

    #[test]
    fn like_java() {
        for (v, s) in [
            (0.0, "0.0"),
            (1.0, "1.0"),
            (20.0, "20.0"),
            (1.0238, "1.0238"),
            (4.6923, "4.6923"),
            (1.77, "1.77"),
            (0.205, "0.205"),
            (1e7, "1.0E7"),
            (1.5e-4, "1.5E-4"),
            (1.796642178127e9, "1.796642178127E9"),
            (3.24745216e9, "3.24745216E9"),
            (1.11808512e8, "1.11808512E8"),
            (9999999.0, "9999999.0"),
            (f64::NAN, "NaN"),
            (-2.0, "-2.0"),
        ] {
            assert_eq!(java_double(v), s);
        }
    }
}
