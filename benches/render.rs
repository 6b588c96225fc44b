//! In-process benchmarks of the render pipeline (`cargo bench`): one profile, and a project of
//! 1, 10, 100 and 1000 environments rendered in memory (parallel, one shared renderer).
//!
//! Whole-process timings, side by side with `kubectl kustomize`, are `scripts/bench.sh`.

#![allow(clippy::expect_used, clippy::unwrap_used, missing_docs)]

use std::path::Path;

use agentctl::input::layers::Inputs;
use agentctl::input::project;
use agentctl::pipeline::Target;
use agentctl::render::Renderer;

/// The shipped binary's allocator (src/main.rs), so that in-process figures are its figures.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    divan::main();
}

/// Creating the template environment (the templates themselves are compiled when a render
/// first needs them: see `first_render`).
#[divan::bench]
fn renderer_new() -> Renderer {
    Renderer::new().expect("templates compile")
}

/// A process's first render of the defaults: the environment, compiling the templates its files
/// need, and rendering them to text (what every whole-process render pays once).
#[divan::bench]
fn first_render() {
    let renderer = Renderer::new().expect("templates compile");
    let cfg = agentctl::config::Config::default();
    divan::black_box(renderer.render(&cfg).expect("renders"));
}

/// Layers, merge and validation of the defaults plus one profile.
#[divan::bench(args = ["default", "high-throughput"])]
fn resolve(profile: &str) {
    let inputs = inputs(profile);
    divan::black_box(agentctl::pipeline::resolve(&inputs).expect("resolves"));
}

/// The whole in-memory pipeline for one profile: layers → … → bundle (templates precompiled).
#[divan::bench(args = ["default", "dev", "high-throughput", "low-latency"])]
fn one_profile(bencher: divan::Bencher, profile: &str) {
    let renderer = Renderer::new().expect("templates compile");
    let inputs = inputs(profile);
    bencher.bench_local(|| agentctl::pipeline::build(&renderer, &inputs).expect("renders"));
}

/// The lint stage of `one_profile` alone (every rule over the final objects, located and
/// matched against `accept:`), to hold the README's "lint adds under 1 ms to a render".
#[divan::bench(args = ["default", "high-throughput"])]
fn lint(bencher: divan::Bencher, profile: &str) {
    let renderer = Renderer::new().expect("templates compile");
    let (merged, bundle) = agentctl::pipeline::build(&renderer, &inputs(profile)).expect("renders");
    let files = agentctl::render::bundle::objects(&renderer, &merged.config).expect("objects");
    let scanned = agentctl::render::patches::Scanned::default();
    bencher.bench_local(|| {
        agentctl::render::provenance::lint(&merged, &bundle.patched, &scanned, &files)
    });
}

/// The stages of `one_profile` (default profile), to see where its time goes: rendering the
/// templates to text, parsing that text back (the line reader, `input/yaml/lines`), the round
/// trip through the Kubernetes types, and the canonical serialization (written directly,
/// `input/yaml/canonical`).
mod stages {
    use agentctl::input::yaml;
    use agentctl::render::Renderer;
    use agentctl::render::k8s_check as check;

    fn setup() -> (Renderer, agentctl::config::Config, Vec<(String, String)>) {
        let renderer = Renderer::new().expect("templates compile");
        let cfg = agentctl::config::Config::default();
        let texts = renderer.render(&cfg).expect("renders");
        (renderer, cfg, texts)
    }

    /// The default profile's objects, parsed back from its rendered files.
    fn objects() -> Vec<serde_json::Value> {
        let (_, _, texts) = setup();
        texts
            .iter()
            .flat_map(|(_, t)| yaml::parse_manifests(t).expect("parses"))
            .collect()
    }

    #[divan::bench]
    fn templates(bencher: divan::Bencher) {
        let (renderer, cfg, _) = setup();
        bencher.bench_local(|| renderer.render(&cfg).expect("renders"));
    }

    #[divan::bench]
    fn parse(bencher: divan::Bencher) {
        let (_, _, texts) = setup();
        bencher.bench_local(|| {
            for (_, text) in &texts {
                divan::black_box(yaml::parse_manifests(text).expect("parses"));
            }
        });
    }

    #[divan::bench]
    fn roundtrip(bencher: divan::Bencher) {
        let docs = objects();
        bencher.bench_local(|| {
            for doc in &docs {
                divan::black_box(check::roundtrip(doc).expect("round trip"));
            }
        });
    }

    #[divan::bench]
    fn emit(bencher: divan::Bencher) {
        let docs = objects();
        bencher.bench_local(|| {
            for doc in &docs {
                divan::black_box(yaml::to_canonical(doc).expect("emits"));
            }
        });
    }
}

/// A project of N environments (profiles rotating, each with an inline `set:`), parsed,
/// validated and rendered in memory: what `render --all` does before writing.
#[divan::bench(args = [1, 10, 100, 1000], sample_count = 10, sample_size = 1)]
fn environments(bencher: divan::Bencher, n: usize) {
    let renderer = Renderer::new().expect("templates compile");
    let text = project_text(n);
    bencher.bench_local(|| {
        let p = project::parse(Path::new("agentctl.yaml"), &text).expect("valid project");
        let targets: Vec<Target> = p
            .environments
            .iter()
            .map(|e| Target::environment(e, &[], Path::new("deploy")))
            .collect();
        agentctl::pipeline::build_all(&renderer, &targets).expect("renders")
    });
}

fn inputs(profile: &str) -> Inputs {
    Inputs {
        profiles: if profile == "default" {
            Vec::new()
        } else {
            vec![profile.to_owned()]
        },
        ..Inputs::default()
    }
}

/// A project file with `n` environments.
pub fn project_text(n: usize) -> String {
    const PROFILES: &[&str] = &[
        "[dev]",
        "[high-throughput]",
        "[low-latency]",
        "[high-throughput, low-latency]",
    ];
    let mut text = String::from("environments:\n");
    for i in 0..n {
        text.push_str(&format!(
            "  env-{i}:\n    profiles: {}\n    set: {{namespace: agents-{i}, agent: {{config: {{environment: env-{i}}}}}}}\n",
            PROFILES[i % PROFILES.len()]
        ));
    }
    text
}

/// Issue 20's unbounded work, the escape hatch at scale: `n` strategic-merge patches that each
/// select every rendered object (by the label every object carries), and `n` patches that each
/// fail on every object (a field Kubernetes does not have), in override files of 1,000 patches
/// each (an override file holds at most 1 MiB). Before issue 20, 1,000 such patches took 22 s
/// and 10 x 1,000 failing ones 155 s (every object cloned per patch, every error built).
mod escape_hatch {
    use agentctl::input::layers::Inputs;
    use agentctl::render::Renderer;

    fn files(n: usize, failing: bool) -> (tempfile::TempDir, Inputs) {
        written(n, |i| {
            let patch = if failing {
                format!("{{spec: {{noSuchField{i}: 1}}}}")
            } else {
                format!("{{metadata: {{annotations: {{example.com/p{i}: v}}}}}}")
            };
            format!(
                "  - target: {{labelSelector: app.kubernetes.io/managed-by=agentctl}}\n    patch: {patch}\n"
            )
        })
    }

    /// `n` patches in override files of 1,000 each, `entry(i)` writing patch `i`.
    fn written(n: usize, entry: impl Fn(usize) -> String) -> (tempfile::TempDir, Inputs) {
        chunked("patches", n, entry)
    }

    /// `n` entries of the list `key` (`patches`, `resources`) in override files of 1,000
    /// each, `entry(i)` writing entry `i`.
    fn chunked(
        key: &str,
        n: usize,
        entry: impl Fn(usize) -> String,
    ) -> (tempfile::TempDir, Inputs) {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut files = Vec::new();
        for chunk in 0..n.div_ceil(1000) {
            let mut text = format!("{key}:\n");
            for i in chunk * 1000..((chunk + 1) * 1000).min(n) {
                text.push_str(&entry(i));
            }
            let path = dir.path().join(format!("{key}-{chunk}.yaml"));
            std::fs::write(&path, text).expect("write");
            files.push(path);
        }
        let inputs = Inputs {
            files,
            ..Inputs::default()
        };
        (dir, inputs)
    }

    /// `n` JSON 6902 patches of four operations each over every object, each growing it (two
    /// `add`s of a label, a `copy` of one of them, a `test`): the operations of one patch are
    /// applied in place and taken back if one fails, so a patch costs what it changes, not
    /// the size of its object (before: a copy of the growing object per patch, 32.7 s for
    /// 1,500).
    #[divan::bench(args = [100, 1500], sample_count = 5)]
    fn multi_op_patches(bencher: divan::Bencher, n: usize) {
        let renderer = Renderer::new().expect("templates compile");
        let (_dir, inputs) = written(n, |i| {
            format!(
                "  - target: {{labelSelector: app.kubernetes.io/managed-by=agentctl}}\n    patch:\n      \
                 - {{op: add, path: /metadata/labels/example.com~1a{i}, value: v}}\n      \
                 - {{op: add, path: /metadata/labels/example.com~1b{i}, value: w}}\n      \
                 - {{op: copy, from: /metadata/labels/example.com~1a{i}, path: /metadata/labels/example.com~1c{i}}}\n      \
                 - {{op: test, path: /metadata/labels/example.com~1b{i}, value: w}}\n"
            )
        });
        bencher.bench_local(|| agentctl::pipeline::build(&renderer, &inputs).expect("renders"));
    }

    /// `n` strategic-merge patches that each add an environment variable to the agent
    /// container: a merged list (containers by name, env by name) growing with every patch,
    /// merged in place (the list taken, not copied).
    #[divan::bench(args = [100, 1500], sample_count = 5)]
    fn growing_list_patches(bencher: divan::Bencher, n: usize) {
        let renderer = Renderer::new().expect("templates compile");
        let (_dir, inputs) = written(n, |i| {
            format!(
                "  - target: {{kind: Deployment, name: agent-deployment}}\n    \
                 patch: {{spec: {{template: {{spec: {{containers: [{{name: agent, env: [{{name: EXTRA_{i}, value: v}}]}}]}}}}}}}}\n"
            )
        });
        bencher.bench_local(|| agentctl::pipeline::build(&renderer, &inputs).expect("renders"));
    }

    /// The peer in the same run: the defaults without a patch.
    #[divan::bench]
    fn no_patch(bencher: divan::Bencher) {
        let renderer = Renderer::new().expect("templates compile");
        let inputs = Inputs::default();
        bencher.bench_local(|| agentctl::pipeline::build(&renderer, &inputs).expect("renders"));
    }

    /// `n` patches, each applied to every one of the 25 rendered objects.
    #[divan::bench(args = [100, 1500], sample_count = 5)]
    fn patches_every_object(bencher: divan::Bencher, n: usize) {
        let renderer = Renderer::new().expect("templates compile");
        let (_dir, inputs) = files(n, false);
        bencher.bench_local(|| agentctl::pipeline::build(&renderer, &inputs).expect("renders"));
    }

    /// `n` extra Deployments (hardened, so the render succeeds) in override files of 1,000
    /// each: each workload's autoscaler and each finding's
    /// object are looked up, not searched among every object (before: 2,000 took 3.1 s of CPU,
    /// 4,000 objects with 8,000 lint errors 40.8 s).
    #[divan::bench(args = [1000, 2000], sample_count = 5)]
    fn extra_workloads(bencher: divan::Bencher, n: usize) {
        let renderer = Renderer::new().expect("templates compile");
        let digest = "a".repeat(64);
        let (_dir, inputs) = extras(n, |i| {
            format!(
                "  - {{apiVersion: apps/v1, kind: Deployment, metadata: {{name: d{i}}}, spec: {{replicas: 1, \
                 selector: {{matchLabels: {{x: y{i}}}}}, template: {{metadata: {{labels: {{x: y{i}}}}}, spec: {{\
                 automountServiceAccountToken: false, securityContext: {{runAsNonRoot: true, runAsUser: 1000, \
                 seccompProfile: {{type: RuntimeDefault}}}}, containers: [{{name: c, image: 'reg/i:1@sha256:{digest}', \
                 resources: {{requests: {{cpu: 10m, memory: 10Mi}}, limits: {{cpu: 10m, memory: 10Mi}}}}, \
                 securityContext: {{allowPrivilegeEscalation: false, capabilities: {{drop: [ALL]}}, \
                 readOnlyRootFilesystem: true, runAsNonRoot: true}}}}]}}}}}}}}\n"
            )
        });
        bencher.bench_local(|| agentctl::pipeline::build(&renderer, &inputs).expect("renders"));
    }

    /// `n` extra objects in override files of 1,000 each (`resources:`), `entry(i)` writing
    /// object `i`.
    fn extras(n: usize, entry: impl Fn(usize) -> String) -> (tempfile::TempDir, Inputs) {
        chunked("resources", n, entry)
    }

    /// `n` patches that each fail on every object: `n` x 25 errors, 100 of them built.
    #[divan::bench(args = [100, 10_000], sample_count = 5)]
    fn failing_patches(bencher: divan::Bencher, n: usize) {
        let renderer = Renderer::new().expect("templates compile");
        let (_dir, inputs) = files(n, true);
        bencher.bench_local(|| {
            let e = agentctl::pipeline::build(&renderer, &inputs).expect_err("fails");
            assert!(e.to_string().contains("errors, the first 100 shown"));
            e
        });
    }
}
