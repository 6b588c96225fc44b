use super::*;

fn q(s: &str) -> Quantity {
    Quantity::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

#[test]
fn canonical_text_is_what_the_api_server_stores() {
    // Go's resource.Quantity String() of each.
    for (text, want) in [
        ("2000m", "2"),
        ("1000m", "1"),
        ("500m", "500m"),
        ("0.5", "500m"),
        (".5", "500m"),
        ("5.", "5"),
        ("1.5", "1500m"),
        ("1000", "1k"),
        ("1500", "1500"),
        ("1024Mi", "1Gi"),
        ("1536Mi", "1536Mi"),
        ("1.5Gi", "1536Mi"),
        ("0.5Ki", "512"),
        ("1Ki", "1Ki"),
        ("1023", "1023"),
        ("10Gi", "10Gi"),
        ("0", "0"),
        ("0Gi", "0"),
        ("-0", "0"),
        ("1e3", "1e3"),
        ("1E3", "1e3"),
        ("1e+3", "1e3"),
        ("1500e-3", "1500e-3"),
        ("12e2", "1200"),
        ("0.1m", "100u"),
        ("1n", "1n"),
        ("0.1n", "1n"),
        ("1e-12", "1e-9"),
        ("12000000", "12M"),
        ("-500m", "-500m"),
        ("+2", "2"),
        ("1E", "1E"),
        ("1000E", "1e21"),
        ("8Ei", "9223372036854775807"),
        ("0.0000000001Ki", "103n"),
        ("000001", "1"),
    ] {
        assert_eq!(q(text).canonical(), want, "{text}");
        assert_eq!(q(text).to_string(), want, "{text}");
    }
}

#[test]
fn refused_with_the_reason() {
    for (bad, want) in [
        ("", Error::Empty),
        ("Gi", Error::NoNumber),
        ("+", Error::NoNumber),
        ("-", Error::NoNumber),
        (".", Error::BadNumber(".".into())),
        ("1.2.3", Error::BadNumber("1.2.3".into())),
        ("1GB", Error::UnknownSuffix("1".into(), "GB".into())),
        ("1e", Error::UnknownSuffix("1".into(), "e".into())),
        ("1K", Error::UnknownSuffix("1".into(), "K".into())),
        ("1e3x", Error::UnknownSuffix("1".into(), "e3x".into())),
        ("1e++3", Error::UnknownSuffix("1".into(), "e++3".into())),
        ("--1", Error::NoNumber),
        (" 1", Error::NoNumber),
        ("1 ", Error::UnknownSuffix("1".into(), " ".into())),
        ("99999999999999999999999Ei", Error::TooLarge),
        ("1e30", Error::TooLarge),
        (
            "1e99999999999",
            Error::UnknownSuffix("1".into(), "e99999999999".into()),
        ),
        (
            "123456789012345678901234567890123456789012",
            Error::TooLarge,
        ),
    ] {
        assert_eq!(Quantity::parse(bad), Err(want), "{bad:?}");
    }
    assert_eq!(
        Error::NoNumber.to_string(),
        "it does not start with a number"
    );
    assert_eq!(
        Error::UnknownSuffix("1".into(), "GB".into()).to_string(),
        "unknown suffix `GB`"
    );
}

#[test]
fn compares_and_adds_by_value() {
    assert_eq!(q("2000m"), q("2"));
    assert_eq!(q("1Gi"), q("1024Mi"));
    assert_eq!(q("1e3"), q("1k"));
    assert!(q("10Gi") > q("9Gi"));
    assert!(q("-1") < Quantity::ZERO);
    assert!(q("1n") > Quantity::ZERO);
    assert_eq!(q("1.5").checked_add(q("500m")), Ok(q("2")));
    assert_eq!(
        q("1Gi").checked_add(q("1Gi")).map(|s| s.canonical()),
        Ok("2Gi".into())
    );
    let big = q("1e29");
    assert_eq!(big.checked_add(q("1")), Err(Error::TooLarge));
    assert_eq!(big.saturating_add(big), big, "held at the bound");
    assert_eq!(q("-1e29").saturating_add(q("-1e29")), q("-1e29"));
    assert_eq!(q("250m").saturating_mul(4), q("1"));
    assert_eq!(big.saturating_mul(i64::MAX), big);
    assert_eq!(Quantity::units(3), q("3"));
    assert_eq!(Quantity::milli(1500), q("1.5"));
}

#[test]
fn json_fields_and_conversions() {
    use serde_json::json;
    assert_eq!(Quantity::of_json(&json!("  2Gi ")), Some(q("2Gi")));
    assert_eq!(Quantity::of_json(&json!(2)), Some(q("2")));
    assert_eq!(Quantity::of_json(&json!(0.5)), Some(q("500m")));
    assert_eq!(Quantity::of_json(&json!(true)), None);
    assert_eq!(Quantity::of_json(&json!("x")), None);
    assert_eq!(q("1n").milli_ceil(), Some(1), "rounded up");
    assert_eq!(q("1.5Gi").milli_ceil(), Some(1536 * (1 << 20) * 1000));
    assert_eq!(q("-1").milli_ceil(), None);
    assert_eq!(q("500m").as_f64(), 0.5);
    assert_eq!(q("1.5Gi").as_f64(), 1_610_612_736.0);
    assert_eq!(q("0.1").as_f64(), 0.1);
}

#[test]
fn texts_for_people() {
    assert_eq!(cpu_text(25950), "25950m");
    assert_eq!(cpu_text(26000), "26");
    assert_eq!(memory_text(52 * (1 << 30) * 1000), "52Gi");
    assert_eq!(memory_text(1536 * (1 << 20) * 1000), "1536Mi");
    assert_eq!(memory_text(1000), "1");
    assert_eq!(memory_text(1), "1", "a millibyte is a byte");
    assert_eq!(q("2500m").cpu_text(), "2500m");
    assert_eq!(q("2Gi").memory_text(), "2Gi");
    assert_eq!(round_up_milli(25950, true), 26000);
    assert_eq!(round_up_milli(1, false), (1 << 30) * 1000);
    assert_eq!(round_up_milli(u128::MAX, true), u128::MAX, "saturates");
}

#[test]
fn suffixes() {
    assert!(is_suffixed_integer("64Mi"));
    assert!(is_suffixed_integer("500m"));
    assert!(!is_suffixed_integer("2"));
    assert!(!is_suffixed_integer("064Mi"));
    assert!(!is_suffixed_integer("2e3"));
    assert!(!is_suffixed_integer("Mi"));
    assert!(!is_suffixed_integer("1.5Gi"));
    assert_eq!(binary_suffix_ignoring_case("gi"), Some("Gi"));
    assert_eq!(binary_suffix_ignoring_case("MI"), Some("Mi"));
    assert_eq!(binary_suffix_ignoring_case("mb"), None);
    assert_eq!(split("-1.5Gi"), ("-1.5", "Gi"));
    assert_eq!(split("1-2"), ("1", "-2"));
    assert_eq!(suffix("m"), Some((Base::Decimal(-3), Format::DecimalSi)));
    assert_eq!(
        suffix("e-3"),
        Some((Base::Decimal(-3), Format::DecimalExponent))
    );
    assert_eq!(suffix("Ki"), Some((Base::Binary(10), Format::BinarySi)));
    assert_eq!(suffix("e"), None);
}
