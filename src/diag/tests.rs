use super::redact;
use super::render::{MAX_SHOWN, clip_quoted, window};
use super::safe::REDACTED;

#[test]
fn the_caret_follows_a_mask_and_a_window() {
    let line: Vec<char> = "  API_TOKEN: abcdef, x".chars().collect();
    let masks = [(13, 22)];
    let (_, caret) = redact(&line, &masks, (13, 6));
    assert_eq!(caret, (13, REDACTED.len()));
    let long: Vec<char> = "x".repeat(500).chars().collect();
    let (cut, (start, width)) = window(long, (400, 3));
    assert!(cut.len() <= MAX_SHOWN + 2);
    assert_eq!(cut[0], '…');
    assert_eq!(&cut[start..start + width], &['x', 'x', 'x']);
}

#[test]
fn long_quoted_values_are_clipped() {
    let long = "a".repeat(500);
    let clipped = clip_quoted(&format!("`{long}` is bad, `ok`"));
    assert!(clipped.chars().count() < 100, "{clipped}");
    assert!(clipped.ends_with("…` is bad, `ok`"), "{clipped}");
}
