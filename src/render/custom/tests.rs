use serde_json::json;

use super::*;

fn crd(schema: J) -> Crd {
    Crd {
        group: "example.com".into(),
        kind: "Widget".into(),
        plural: "widgets".into(),
        namespaced: true,
        versions: vec![
            CrdVersion {
                name: "v1".into(),
                served: true,
                schema,
            },
            CrdVersion {
                name: "v1beta1".into(),
                served: false,
                schema: json!({"type": "object"}),
            },
        ],
        file: "crds/widget.yaml".into(),
        listed_at: "over.yaml:2:5".into(),
    }
}

fn problems(schema: J, obj: J) -> Vec<(String, String)> {
    let c = crd(schema);
    let found = Found {
        crd: &c,
        version: &c.versions[0],
    };
    validate(&found, &obj)
        .expect("usable schema")
        .into_iter()
        .map(|e| (PathDisplay(&e.path).to_string(), e.message))
        .collect()
}

fn widget(spec: J) -> J {
    json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "labels": {"a": "b"}}, "spec": spec})
}

#[test]
fn unknown_fields_are_refused_unless_preserved() {
    let schema = json!({"type": "object", "properties": {
        "spec": {"type": "object", "properties": {
            "size": {"type": "integer"},
            "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}}
        }}
    }});
    // Root apiVersion/kind/metadata are always allowed, whatever metadata holds.
    assert!(problems(schema.clone(), widget(json!({"size": 1}))).is_empty());
    let p = problems(
        schema.clone(),
        widget(json!({"sise": 1, "free": {"any": {"thing": 1}}, "labels": {"x": "y"}})),
    );
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].0, "spec.sise");
    assert!(p[0].1.contains("`sise` is not a field of Widget"), "{p:?}");
    // A map's values are still checked.
    let p = problems(schema, widget(json!({"labels": {"x": 1}})));
    assert_eq!(p[0].0, "spec.labels.x", "{p:?}");
    // An object without properties has no fields at all (the server prunes everything).
    let p = problems(
        json!({"type": "object", "properties": {"spec": {"type": "object"}}}),
        widget(json!({"a": 1})),
    );
    assert_eq!(p[0].0, "spec.a", "{p:?}");
}

#[test]
fn int_or_string_nullable_enum_required() {
    let schema = json!({"type": "object", "required": ["spec"], "properties": {
        "spec": {"type": "object", "required": ["mode"], "properties": {
            "port": {"x-kubernetes-int-or-string": true, "anyOf": [{"type": "integer"}, {"type": "string"}]},
            "mode": {"type": "string", "enum": ["Fast", "Slow"]},
            "note": {"type": "string", "nullable": true},
            "pick": {"type": "string", "nullable": true, "enum": ["a"]},
            "n": {"type": "integer", "minimum": 0, "exclusiveMinimum": true, "format": "int32"}
        }}
    }});
    let ok = widget(json!({"port": "http", "mode": "Fast", "note": null, "pick": null, "n": 1}));
    assert!(problems(schema.clone(), ok).is_empty());
    assert!(problems(schema.clone(), widget(json!({"port": 80, "mode": "Slow"}))).is_empty());
    let p = problems(
        schema.clone(),
        widget(json!({"port": true, "mode": "Fats", "n": 0})),
    );
    let paths: Vec<&str> = p.iter().map(|(p, _)| p.as_str()).collect();
    assert!(paths.contains(&"spec.port"), "{p:?}");
    assert!(paths.contains(&"spec.mode"), "{p:?}");
    assert!(paths.contains(&"spec.n"), "{p:?}");
    let p = problems(schema.clone(), widget(json!({})));
    assert_eq!(
        p,
        vec![("spec".into(), "Widget requires `mode` at `spec`".into())]
    );
    let p = problems(
        schema,
        json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}),
    );
    assert_eq!(p[0].1, "Widget requires `spec` at the object");
}

#[test]
fn junctors_never_close_a_map() {
    // Structural schemas may list properties inside anyOf only as value checks: a branch
    // naming one field must not refuse the others.
    let schema = json!({"type": "object", "properties": {"spec": {
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
        "anyOf": [{"required": ["a"]}, {"properties": {"b": {"minLength": 1}}, "required": ["b"]}]
    }}});
    assert!(problems(schema.clone(), widget(json!({"a": "x", "b": "y"}))).is_empty());
    assert!(!problems(schema, widget(json!({}))).is_empty());
}

#[test]
fn lookup_says_which_version_group_or_kind() {
    let crds = vec![Arc::new(crd(json!({"type": "object"})))];
    assert!(matches!(
        lookup(&crds, "example.com/v1", "Widget"),
        Some(Ok(_))
    ));
    assert!(lookup(&crds, "example.com/v1", "Gadget").is_none());
    let Some(Err(u)) = lookup(&crds, "example.com/v1beta1", "Widget") else {
        panic!("a version not served")
    };
    assert!(
        u.api_at_fault && u.message.contains("is not served by Widget"),
        "{u:?}"
    );
    assert!(u.hint.contains("`apiVersion: example.com/v1`"), "{u:?}");
    let Some(Err(u)) = lookup(&crds, "example.com/v2", "Widget") else {
        panic!("no such version")
    };
    assert!(u.message.contains("is not a version of Widget"), "{u:?}");
    let Some(Err(u)) = lookup(&crds, "examples.com/v1", "Widget") else {
        panic!("another group")
    };
    assert!(
        u.message
            .contains("in the group `example.com`, not `examples.com`"),
        "{u:?}"
    );
    for near_miss in ["widget", "Widgt", "Widg"] {
        let hint = near(&crds, near_miss).unwrap_or_default();
        assert!(hint.contains("`kind: Widget`"), "{near_miss}: {hint}");
    }
    assert!(near(&crds, "Deployment").is_none());
}
