//! Completion below the map entries a user names (`agent.sidecars.NAME.`, ...): the entry's
//! fields after the name, for `explain PATH` and `--set PATH=VALUE` (a value's path with its
//! `=`), as the shell's TAB gets them (`COMPLETE=fish agentctl -- WORDS`).

use std::path::Path;

use crate::support::{self, agentctl};

/// The candidates of one TAB, values only.
fn complete(dir: &Path, words: &[&str]) -> Vec<String> {
    let mut args = vec!["--", "agentctl"];
    args.extend(words);
    let r = agentctl(&args)
        .current_dir(dir)
        .env("COMPLETE", "fish")
        .run();
    assert_eq!(r.code, 0, "{words:?}: {}", r.stderr);
    r.stdout
        .lines()
        .map(|l| l.split('\t').next().unwrap_or_default().to_owned())
        .filter(|c| !c.starts_with('-'))
        .collect()
}

#[test]
fn the_fields_of_a_named_entry_complete_after_its_name() {
    let tmp = support::tempdir();
    let dir = tmp.path();
    for (map, field) in [
        ("agent.sidecars.otel-collector.", "image"),
        ("agent.initContainers.migrate.", "order"),
        ("agent.volumes.prompts.", "configMap"),
        ("agent.ports.grpc.", "appProtocol"),
        ("networkPolicy.ingressFrom.gateway.", "namespaces"),
        ("networkPolicy.egressTo.models.", "cidr"),
    ] {
        let got = complete(dir, &["explain", map]);
        assert!(
            got.contains(&format!("{map}{field}")),
            "explain {map}: {got:?}"
        );
        assert!(got.iter().all(|c| c.starts_with(map)), "{map}: {got:?}");
    }
    // A prefix of a field narrows it; a field of the entry's field goes on.
    assert_eq!(
        complete(dir, &["explain", "agent.sidecars.x.resources.l"]),
        ["agent.sidecars.x.resources.limits"]
    );
    assert_eq!(
        complete(dir, &["explain", "agent.sidecars.x.lifecycle.preStop."]),
        [
            "agent.sidecars.x.lifecycle.preStop.exec",
            "agent.sidecars.x.lifecycle.preStop.sleep"
        ]
    );
    // `--set`: a value's path ends with `=`, a section's does not; after `=`, nothing.
    let set = complete(dir, &["render", "--set", "agent.sidecars.otel.im"]);
    assert_eq!(
        set,
        [
            "agent.sidecars.otel.image=",
            "agent.sidecars.otel.imagePullPolicy="
        ]
    );
    let set = complete(dir, &["render", "--set", "agent.sidecars.otel.re"]);
    assert!(
        set.contains(&"agent.sidecars.otel.resources".to_owned()),
        "{set:?}"
    );
    assert!(
        set.contains(&"agent.sidecars.otel.readOnlyRootFilesystem=".to_owned()),
        "{set:?}"
    );
    assert!(complete(dir, &["render", "--set", "agent.image="]).is_empty());
    assert!(
        complete(dir, &["render", "--set", "agent.replicas.m"])
            .contains(&"agent.replicas.max=".to_owned())
    );
    // Nothing made up: a key that is no field, an empty segment, a map's own entries.
    assert!(complete(dir, &["explain", "agent.nosuch.x."]).is_empty());
    assert!(complete(dir, &["explain", "agent..sidecars."]).is_empty());
    assert!(complete(dir, &["explain", "agent.nodeSelector.zone."]).is_empty());
}
