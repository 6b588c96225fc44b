use super::render::{clip_quoted, wrap_note};
use super::{REDACTED, redact};

#[test]
fn the_caret_follows_a_mask() {
    let line: Vec<char> = "  API_TOKEN: abcdef, x".chars().collect();
    let masks = [(13, 22)];
    let (_, caret) = redact(&line, &masks, (13, 6));
    assert_eq!(caret, (13, REDACTED.len()));
}

#[test]
fn long_quoted_values_are_clipped() {
    let long = "a".repeat(500);
    let clipped = clip_quoted(&format!("`{long}` is bad, `ok`"));
    assert!(clipped.chars().count() < 100, "{clipped}");
    assert!(clipped.ends_with("…` is bad, `ok`"), "{clipped}");
}

#[test]
fn notes_wrap_by_display_width() {
    // 30 words of 2 wide characters (4 columns each): at most 89 columns a line.
    let note = vec!["漢字"; 30].join(" ");
    let wrapped = wrap_note(&note);
    let widths: Vec<usize> = wrapped
        .lines()
        .map(unicode_width::UnicodeWidthStr::width)
        .collect();
    assert!(widths.len() > 1, "{wrapped}");
    assert!(widths.iter().all(|w| *w <= 89), "{widths:?}");
    assert_eq!(wrapped.replace('\n', " "), note);
}

/// Masks `abcdefghijklmnop` wherever it is in a line.
fn mask_secret(_: &super::Origin, line: &[char]) -> Vec<super::Mask> {
    let text: String = line.iter().collect();
    match text.find("abcdefghijklmnop") {
        Some(b) => {
            let s = text[..b].chars().count();
            vec![(s, s + 16)]
        }
        None => Vec::new(),
    }
}

#[test]
fn a_mask_before_the_caret_moves_the_caret_not_the_column() {
    use super::{Diagnostic, Origin, Pos, Source};
    let text = "agent: {token: abcdefghijklmnop, port: bad}\n";
    let source = Source::with_masker(Origin::File("f.yaml".into()), text, mask_secret);
    let col = text.find("bad").unwrap_or_default() + 1;
    let d = Diagnostic::new("not a port")
        .at(&source, Pos { line: 1, col }, 3)
        .label("here");
    let shown = d.to_string();
    assert!(!shown.contains("abcdefghijklmnop"), "{shown}");
    // The place is the column in the file ...
    assert!(shown.contains(&format!(" --> f.yaml:1:{col}\n")), "{shown}");
    // ... and the caret is under `bad` in the line as shown.
    let line = shown
        .lines()
        .find(|l| l.starts_with("1 | "))
        .unwrap_or_default();
    let carets = shown.lines().find(|l| l.contains('^')).unwrap_or_default();
    let at = line.find("bad").unwrap_or_default();
    assert_eq!(carets.find('^'), Some(at), "{shown}");
    assert!(carets.ends_with("^^^ here"), "{shown}");
}

#[test]
fn a_profile_is_named_as_a_profile() {
    use super::{Diagnostic, Origin, Pos, Source};
    let profile = Source::new(Origin::Profile("small".into()), "agent:\n  replicas: 2\n");
    let file = Source::new(Origin::File("f.yaml".into()), "replicas: 9\n");
    let d = Diagnostic::new("too many")
        .at(&file, Pos { line: 1, col: 11 }, 1)
        .related("set here", Some(&profile), Pos { line: 2, col: 13 });
    let shown = d.to_string();
    assert!(
        shown.contains("::: profile small (profiles/small.yaml:2:13)\n"),
        "{shown}"
    );
    assert!(shown.contains("- set here\n"), "{shown}");
}

#[test]
fn odd_carets_never_panic() {
    use super::{Diagnostic, Origin, Pos, Source};
    for text in ["", "a", "\t\u{1b}x\u{202e}y", "漢字: 😀", "key:   "] {
        let source = Source::new(Origin::File("f.yaml".into()), text);
        for col in 0..12 {
            for len in [0, 1, 5, 500] {
                let d = Diagnostic::new("x").at(&source, Pos { line: 1, col }, len);
                let shown = d.to_string();
                assert!(shown.starts_with("error: x\n"), "{shown}");
                assert!(!shown.contains('\u{1b}'), "{shown:?}");
            }
        }
    }
}
