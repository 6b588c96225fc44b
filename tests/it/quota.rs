//! The namespace quota agentctl renders holds the pods its objects run, counted as quota
//! admission counts them (native sidecars, init containers, LimitRange defaults), patches
//! included.

use serde_json::Value as J;

use crate::support::{self, agentctl, lib};

fn render(dir: &std::path::Path, args: &[&str]) -> Vec<J> {
    let run = agentctl(["render"].iter().chain(args))
        .current_dir(dir)
        .code(0)
        .run();
    lib::parse_manifests(&run.stdout).unwrap()
}

fn find<'a>(objs: &'a [J], kind: &str, name: &str) -> &'a J {
    objs.iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("{kind}/{name} not in the output"))
}

/// A figure of `agent-quota`'s `hard`, in thousandths.
fn hard(objs: &[J], key: &str) -> u128 {
    let text = find(objs, "ResourceQuota", "agent-quota")["spec"]["hard"][key]
        .as_str()
        .unwrap_or_else(|| panic!("no {key}"));
    agentctl::k8s::Quantity::parse(text)
        .unwrap()
        .milli_ceil()
        .unwrap()
}

/// Issue 23: a native sidecar (an init container with `restartPolicy: Always`) of 4 CPU / 8Gi
/// added by a patch runs beside the agent in every pod, so every pod the HPA may ask for (its
/// maximum plus the rollout's surge) needs 4 more cores and 8Gi more of the quota. The recount
/// counted only `containers` and left `limits.cpu` at 25: the last pods were refused.
#[test]
fn a_native_sidecar_added_by_a_patch_grows_the_quota_for_every_pod() {
    let dir = support::tempdir();
    support::write(
        dir.path(),
        "sidecar.yaml",
        "kubeVersion: \"1.29\"\npatches:\n  - target: {kind: Deployment, name: agent-deployment}\n    patch:\n      spec: {template: {spec: {initContainers: [{name: proxy, image: registry.example.com/proxy:1.0, restartPolicy: Always, securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}, runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}, resources: {requests: {cpu: '4', memory: 8Gi}, limits: {cpu: '4', memory: 8Gi}}}]}}}\n",
    );
    // Agent limits of 4Gi: the plain render's limits.memory is its need (44Gi and more), not
    // the guide's 40Gi request floor it is raised to otherwise.
    let big = ["--set", "agent.resources.limits.memory=4Gi"];
    let plain = render(dir.path(), &big);
    let with = render(dir.path(), &[&big[..], &["-f", "sidecar.yaml"]].concat());
    assert!(hard(&plain, "limits.memory") > hard(&plain, "requests.memory"));
    let dep = find(&with, "Deployment", "agent-deployment");
    assert_eq!(
        dep["spec"]["template"]["spec"]["initContainers"][0]["restartPolicy"],
        "Always"
    );
    let max = find(&with, "HorizontalPodAutoscaler", "agent-hpa")["spec"]["maxReplicas"]
        .as_u64()
        .unwrap();
    let surge = dep["spec"]["strategy"]["rollingUpdate"]["maxSurge"]
        .as_u64()
        .unwrap();
    let pods = u128::from(max + surge);
    assert!(pods > 1, "{max} + {surge}");
    let gi = 1u128 << 30;
    for (key, per_pod) in [("limits.cpu", 4_000), ("limits.memory", 8 * gi * 1000)] {
        assert_eq!(
            hard(&with, key) - hard(&plain, key),
            pods * per_pod,
            "{key}: every one of the {pods} agent pods holds the sidecar"
        );
    }
    // The requests hold the sidecars too (past the guide's floor, which the plain render has).
    assert!(hard(&with, "requests.cpu") >= pods * 4_000);
    assert!(hard(&with, "requests.memory") >= pods * 8 * gi * 1000);
    assert_eq!(hard(&with, "pods"), hard(&plain, "pods"), "no pod more");
}

/// The recount and the stall replay count a pod the same way (`k8s::pod::usage`): the quota
/// rendered for the sidecar holds the rollout to it at every scale, so change impact finds no
/// stall; and a figure set by hand that cannot hold the sidecars is refused at render time
/// with the same need.
#[test]
fn the_recount_and_the_stall_replay_agree_on_a_native_sidecar() {
    let dir = support::tempdir();
    support::write(
        dir.path(),
        "sidecar.yaml",
        "kubeVersion: \"1.29\"\npatches:\n  - target: {kind: Deployment, name: agent-deployment}\n    patch:\n      spec: {template: {spec: {initContainers: [{name: proxy, image: registry.example.com/proxy:1.0, restartPolicy: Always, securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}, runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}, resources: {requests: {cpu: '4', memory: 8Gi}, limits: {cpu: '4', memory: 8Gi}}}]}}}\n",
    );
    for (args, out) in [(&[][..], "old"), (&["-f", "sidecar.yaml"][..], "new")] {
        let run = agentctl(["render", "-q", "-o", out].iter().chain(args))
            .current_dir(dir.path())
            .run();
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    let diff = agentctl(["diff", "--base-dir", "old", "-o", "new", "--format", "json"])
        .current_dir(dir.path())
        .run();
    assert!(diff.code == 0 || diff.code == 1, "{}", diff.stderr);
    let doc: J = serde_json::from_str(&diff.stdout).unwrap();
    let changes = doc["changes"].as_array().unwrap();
    let classes = |kind: &str| -> Vec<String> {
        changes
            .iter()
            .filter(|c| c["kind"] == kind)
            .flat_map(|c| c["reasons"].as_array().unwrap().iter())
            .filter_map(|r| r["class"].as_str().map(str::to_owned))
            .collect()
    };
    assert!(
        classes("Deployment").iter().any(|c| c == "rollout"),
        "{doc}"
    );
    assert!(
        classes("ResourceQuota").iter().all(|c| c != "stall"),
        "{doc}"
    );
    for c in changes {
        for r in c["reasons"].as_array().unwrap() {
            assert_ne!(r["class"], "stall", "{}", r["text"]);
        }
    }

    let held = agentctl([
        "render",
        "-f",
        "sidecar.yaml",
        "--set",
        "quota.limitsCpu=25",
    ])
    .current_dir(dir.path())
    .run();
    assert_eq!(held.code, 2, "{}", held.stderr);
    assert!(
        held.stderr
            .contains("quota `limits.cpu: 25` cannot hold this deployment")
            && held.stderr.contains("which needs 68100m"),
        "{}",
        held.stderr
    );
}

/// A figure the recount cannot count (not a quantity, or past 10^29) is refused with where it
/// is (at the patch, by the settings' quantity rule), never counted as nothing (the recount used
/// to count the whole pod as zero).
#[test]
fn a_figure_the_recount_cannot_count_is_refused() {
    let dir = support::tempdir();
    for (cpu, why) in [
        ("1e40", "larger than agentctl can count exactly"),
        ("lots", "it does not start with a number"),
    ] {
        support::write(
            dir.path(),
            "bad.yaml",
            &format!(
                "kubeVersion: \"1.29\"\npatches:\n  - target: {{kind: Deployment, name: agent-deployment}}\n    patch:\n      spec: {{template: {{spec: {{initContainers: [{{name: p, image: registry.example.com/p:1, restartPolicy: Always, resources: {{limits: {{cpu: '{cpu}'}}}}}}]}}}}}}\n"
            ),
        );
        let run = agentctl(["render", "-f", "bad.yaml"])
            .current_dir(dir.path())
            .run();
        assert_eq!(run.code, 2, "{cpu}: {}", run.stdout);
        assert!(
            // Refused where the patch wrote it, by the quantity rule of the settings, before
            // the recount could miscount it.
            run.stderr.contains(&format!(
                "initContainers[0].resources.limits.cpu: \"{cpu}\" is not a Kubernetes quantity"
            )) && run.stderr.contains(why),
            "{}",
            run.stderr
        );
        assert!(run.stdout.is_empty(), "nothing printed on failure");
    }
}

/// Issue 21: typed containers are counted as quota admission counts them, without any patch: a
/// sidecar of 4 CPU adds 4 cores per pod; an init container of 30 CPU, larger than the whole
/// running pod, sets the pod's figure while it runs (the recount from the objects, which the
/// typed settings' figures alone would miss: the pods would be refused).
#[test]
fn typed_sidecars_and_init_containers_are_counted_for_every_pod() {
    let dir = support::tempdir();
    let container = |cpu: &str| {
        format!(
            "{{image: registry.example.com/c:1.0, resources: {{requests: {{cpu: '{cpu}', memory: 1Gi}}, limits: {{cpu: '{cpu}', memory: 1Gi}}}}}}"
        )
    };
    support::write(
        dir.path(),
        "typed.yaml",
        &format!(
            "quota: {{enabled: true}}\nagent:\n  sidecars: {{proxy: {}}}\n",
            container("4")
        ),
    );
    support::write(
        dir.path(),
        "init.yaml",
        &format!(
            "quota: {{enabled: true}}\nagent:\n  initContainers: {{migrate: {}}}\n",
            container("30")
        ),
    );
    support::write(dir.path(), "plain.yaml", "quota: {enabled: true}\n");
    let plain = render(dir.path(), &["-f", "plain.yaml"]);
    let sidecar = render(dir.path(), &["-f", "typed.yaml"]);
    let init = render(dir.path(), &["-f", "init.yaml"]);
    let max = find(&plain, "HorizontalPodAutoscaler", "agent-hpa")["spec"]["maxReplicas"]
        .as_u64()
        .unwrap();
    let dep = find(&plain, "Deployment", "agent-deployment");
    let surge = dep["spec"]["strategy"]["rollingUpdate"]["maxSurge"]
        .as_u64()
        .unwrap();
    let pods = u128::from(max + surge);
    assert_eq!(
        hard(&sidecar, "limits.cpu") - hard(&plain, "limits.cpu"),
        pods * 4_000,
        "every one of the {pods} agent pods holds the sidecar"
    );
    // The agent's pod limits 2 CPU; the init container's 30 is the pod's figure while it runs.
    assert!(
        hard(&init, "limits.cpu") >= pods * 30_000,
        "{} < {pods} × 30 cores",
        hard(&init, "limits.cpu")
    );
}

/// A figure of `hard` that no setting derives, added by a patch (strategic merge or JSON 6902),
/// is kept by the recount: it replaced the whole `hard` and dropped them silently, while
/// `config --show-origin` said the patch set them (issue 21's new-team trial, a GPU quota).
#[test]
fn a_quota_figure_added_by_a_patch_is_kept() {
    let dir = support::tempdir();
    support::write(
        dir.path(),
        "merge.yaml",
        "patches:\n  - target: {kind: ResourceQuota, name: agent-quota}\n    patch: {spec: {hard: {requests.nvidia.com/gpu: \"3\", count/jobs.batch: \"5\"}}}\n",
    );
    support::write(
        dir.path(),
        "json.yaml",
        "patches:\n  - target: {kind: ResourceQuota, name: agent-quota}\n    patch:\n      - {op: add, path: /spec/hard/requests.nvidia.com~1gpu, value: \"2\"}\n",
    );
    let plain = render(dir.path(), &[]);
    for (file, gpus) in [("merge.yaml", "3"), ("json.yaml", "2")] {
        let objs = render(dir.path(), &["-f", file]);
        let h = &find(&objs, "ResourceQuota", "agent-quota")["spec"]["hard"];
        assert_eq!(h["requests.nvidia.com/gpu"], gpus, "{file}: {h}");
        // The derived figures are still the recount's.
        assert_eq!(
            hard(&objs, "limits.cpu"),
            hard(&plain, "limits.cpu"),
            "{file}"
        );
    }
    let objs = render(dir.path(), &["-f", "merge.yaml"]);
    let h = &find(&objs, "ResourceQuota", "agent-quota")["spec"]["hard"];
    assert_eq!(h["count/jobs.batch"], "5", "{h}");
}
