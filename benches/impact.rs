//! In-process benchmarks of change impact (`cargo bench --bench impact`): the stall replay of a
//! namespace of many large StatefulSets whose pods all roll under a ResourceQuota that cannot
//! hold the rollout (issue 20: six StatefulSets x 300 pods took 59 s when every controller
//! order was replayed). Objects in, impact out, as `agentctl diff` runs it.

#![allow(clippy::expect_used, clippy::unwrap_used, missing_docs)]

use agentctl::impact::{Class, Objects, analyze};
use serde_json::{Value as J, json};

/// The shipped binary's allocator (src/main.rs), so that in-process figures are its figures.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    divan::main();
}

/// `count` StatefulSets of `replicas` pods of `cpu` cores, and a quota with 100 cores to spare
/// over what runs before the change.
fn side(count: usize, replicas: i64, cpu: &str, image: &str) -> Objects {
    let mut objects: Vec<J> = (0..count)
        .map(|k| {
            json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": format!("s{k}"), "namespace": "n"},
                "spec": {"replicas": replicas,
                    "template": {"spec": {"containers": [{"name": "c", "image": image,
                        "resources": {"limits": {"cpu": cpu}}}]}}}})
        })
        .collect();
    let hard = (count as i64) * replicas + 100;
    objects.push(
        json!({"kind": "ResourceQuota", "metadata": {"name": "q", "namespace": "n"},
        "spec": {"hard": {"limits.cpu": hard.to_string()}}}),
    );
    Objects::new(objects)
}

/// (StatefulSets, pods each): the six of 300 (720 orders when every order was
/// replayed; now, past five rolling workloads, the 118 pair orders) and seven of 400 (166).
#[divan::bench(args = [(6, 300), (7, 400)])]
fn statefulsets_stall(bencher: divan::Bencher, (count, replicas): (usize, i64)) {
    let (old, new) = (
        side(count, replicas, "1", "a"),
        side(count, replicas, "2", "b"),
    );
    bencher.bench_local(|| {
        let impacts = analyze(&old, &new);
        assert!(
            impacts
                .iter()
                .all(|i| i.kind != "StatefulSet" || i.classes().contains(&Class::Stall)),
            "every StatefulSet stalls"
        );
        impacts
    });
}
