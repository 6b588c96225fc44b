//! Flux post-build substitution, made harmless: Flux's kustomize-controller runs `envsubst`
//! over every object of a Kustomization that sets `postBuild.substitute`/`substituteFrom`,
//! so `${datasource}` in the rendered Grafana dashboard (or any value a user wrote with `${`
//! or `$$`) would be silently replaced (an unset variable by nothing, `$$` by `$`). Every
//! final object holding either is annotated `kustomize.toolkit.fluxcd.io/substitute: disabled`
//! (what Flux's `SubstituteVariables` skips on), so the objects Flux applies are the objects
//! agentctl rendered, byte for byte (`scripts/flux.sh` checks that with Flux's own build).
//!
//! The switch: an object whose patch sets that annotation itself keeps the patch's value
//! (`enabled`, to have Flux substitute in it). Values per cluster belong in agentctl's own
//! inputs (a project environment), where they are checked.

use serde_json::Value as J;

/// The annotation (and label) Flux reads.
pub const SUBSTITUTE: &str = "kustomize.toolkit.fluxcd.io/substitute";

/// Whether Flux's substitution would change the text of `o`: a `${` (a variable, replaced
/// even when unset) or a `$$` (an escape, replaced by `$`), in a key or a value.
pub fn substitutable(o: &J) -> bool {
    // A `$` first (a memchr), then its next byte: `str::contains("${")` set up a searcher
    // for every key and value of every object (8% of a render).
    let hit = |s: &str| {
        s.contains('$')
            && s.as_bytes()
                .windows(2)
                .any(|w| w[0] == b'$' && matches!(w[1], b'{' | b'$'))
    };
    match o {
        J::String(s) => hit(s),
        J::Array(items) => items.iter().any(substitutable),
        J::Object(map) => map.iter().any(|(k, v)| hit(k) || substitutable(v)),
        _ => false,
    }
}

/// Marks every object Flux's substitution would change (the Kustomization file is not an
/// object Flux substitutes in), unless the object already says what it wants.
pub fn mark(files: &mut [(String, Vec<J>)]) {
    for o in files.iter_mut().flat_map(|(_, objects)| objects.iter_mut()) {
        if o.get("kind").and_then(J::as_str) == Some("Kustomization") || !substitutable(o) {
            continue;
        }
        let Some(meta) = o.get_mut("metadata").and_then(J::as_object_mut) else {
            continue;
        };
        let annotations = meta
            .entry("annotations")
            .or_insert_with(|| J::Object(Default::default()));
        if let Some(a) = annotations.as_object_mut() {
            a.entry(SUBSTITUTE)
                .or_insert_with(|| J::String("disabled".into()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn what_flux_would_substitute_is_marked_and_nothing_else() {
        let mut files = vec![(
            "x.yaml".to_owned(),
            vec![
                json!({"kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"d": "{\"uid\": \"${datasource}\"}"}}),
                json!({"kind": "ConfigMap", "metadata": {"name": "b"}, "data": {"price": "$$5"}}),
                json!({"kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"home": "$HOME costs 5$"}}),
                json!({"kind": "ConfigMap", "metadata": {"name": "d", "annotations": {SUBSTITUTE: "enabled"}}, "data": {"v": "${cluster}"}}),
                json!({"kind": "ConfigMap", "metadata": {"name": "e"}, "data": {"${key}": "v"}}),
                json!({"kind": "Kustomization", "metadata": {"name": "k"}, "x": "${y}"}),
            ],
        )];
        mark(&mut files);
        let ann = |i: usize| files[0].1[i]["metadata"]["annotations"][SUBSTITUTE].clone();
        assert_eq!(ann(0), "disabled");
        assert_eq!(ann(1), "disabled");
        // `$HOME` and a lone `$` are left alone by Flux's envsubst: no mark.
        assert_eq!(ann(2), J::Null);
        // The patch's own choice stays.
        assert_eq!(ann(3), "enabled");
        assert_eq!(ann(4), "disabled");
        assert_eq!(ann(5), J::Null);
    }
}
