use super::view::one_line;
use super::*;

#[test]
fn first_sentence_joins_wrapped_lines() {
    assert_eq!(
        first_sentence("Replica bounds. With autoscaling\non, the HPA's."),
        "Replica bounds."
    );
    assert_eq!(
        first_sentence("Container image, `a:b`\nor pinned"),
        "Container image, `a:b` or pinned"
    );
    assert_eq!(
        first_sentence("Node labels, e.g. `a: b`. Default: none."),
        "Node labels, e.g. `a: b`."
    );
}

#[test]
fn values_and_origins_stay_on_one_line() {
    assert_eq!(one_line("--set a=x\ny"), "--set a=x\\ny");
    assert_eq!(shown(&J::from("x\ny")), "\"x\\ny\"");
    assert_eq!(shown(&J::from("")), "\"\"");
    assert_eq!(shown(&J::from("500m")), "500m");
    assert_eq!(shown(&serde_json::json!([443, 8443])), "[443,8443]");
}

#[test]
fn wrap_breaks_long_notes() {
    let text = "word ".repeat(40);
    let wrapped = wrap(&text);
    assert!(wrapped.lines().count() > 1);
    for line in wrapped.lines() {
        assert!(
            line.starts_with("  ") && line.chars().count() <= 92,
            "{line:?}"
        );
    }
    assert_eq!(wrapped.split_whitespace().count(), 40);
}

#[test]
fn every_documented_path_resolves() {
    let paths = all_paths();
    assert!(
        paths.contains(&"agent.replicas.max".to_owned()),
        "{paths:?}"
    );
    for p in &paths {
        let segments: Vec<&str> = p.split('.').collect();
        assert!(schema::lookup(&segments).is_ok(), "{p}");
    }
}
