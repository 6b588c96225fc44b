//! agentctl: typed profiles and overrides in, a production Kubernetes deployment out.
//!
//! The folders are the pipeline stages, in data-flow order (see `ARCHITECTURE.md`):
//! [`input`] (read and parse every source into located layers) → [`resolve`] (merge with
//! origins, validate, explain) → [`render`] (templates, round trip through the Kubernetes
//! types, canonical bundle) → [`output`] (the output directory, diffs, stdout); beside output,
//! [`impact`] (what a change of rendered objects does to the running system: objects in,
//! impact out, pure).
//! [`config`] is the typed contract they share; [`k8s`] the Kubernetes model every stage reads
//! Kubernetes through (quantities, objects, pod usage, scaling); [`diag`] is the one error family and its one
//! renderer; [`pipeline`] drives the stages for every command; [`commands`] holds one file per
//! subcommand; [`cli`] declares them; [`term`] decides color; [`shell`] quotes every value in a
//! command agentctl prints.

pub mod cli;
pub mod cluster;
pub mod commands;
pub mod config;
pub mod diag;
pub mod impact;
pub mod input;
pub mod k8s;
pub mod lint;
pub mod output;
pub mod par;
pub mod pipeline;
pub mod render;
pub mod resolve;
pub mod shell;
pub mod suggest;
pub mod term;

#[cfg(test)]
mod tests {
    /// The module graph has no cycles (`scripts/module-graph.sh`, which ARCHITECTURE.md shows).
    #[test]
    fn the_module_graph_has_no_cycles() {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/module-graph.sh");
        for args in [&[][..], &["--files"][..]] {
            let out = std::process::Command::new("bash")
                .arg(script)
                .args(args)
                .output();
            let Ok(out) = out else {
                return; // no bash here: the CI step runs the script
            };
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            if args.is_empty() {
                // Change impact is a stage beside output: objects in, impact out.
                let edges = String::from_utf8_lossy(&out.stdout);
                for edge in ["impact output", "output impact", "impact render"] {
                    assert!(!edges.lines().any(|l| l == edge), "stage edge {edge}");
                }
                // The Kubernetes model is a leaf: every stage may use it, it uses none.
                assert!(
                    !edges.lines().any(|l| l.starts_with("k8s ")),
                    "k8s depends on a stage:\n{edges}"
                );
            }
        }
    }

    /// The script sees the edges `crate::` paths do not show: `super::`, `self::` and `use`
    /// groups (a cycle written only with them is still a cycle); test code is not an edge.
    #[test]
    fn the_module_graph_follows_super_self_and_use_groups() {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/module-graph.sh");
        let root =
            std::env::temp_dir().join(format!("agentctl-module-graph-{}", std::process::id()));
        let write = |path: &str, text: &str| {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        std::fs::create_dir_all(root.join("scripts")).unwrap();
        std::fs::copy(script, root.join("scripts/module-graph.sh")).unwrap();
        let graph = || {
            std::process::Command::new("bash")
                .arg(root.join("scripts/module-graph.sh"))
                .arg("--files")
                .output()
        };
        write("src/lib.rs", "pub mod stage;\n");
        write("src/stage/mod.rs", "pub mod a;\npub mod b;\npub mod c;\n");
        write("src/stage/c.rs", "pub fn f() {}\n");
        write(
            "src/stage/b.rs",
            "use self::inner::g;\nmod inner { pub fn g() {} }\n#[cfg(test)]\nuse super::a::x;\n",
        );
        write(
            "src/stage/a.rs",
            "use super::{b::g, c::{self, f}};\npub fn x() {}\n",
        );
        let Ok(out) = graph() else {
            return; // no bash here: the CI step runs the script
        };
        let edges = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(
            out.status.success(),
            "{edges}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            edges.contains("stage::a stage::b\n") && edges.contains("stage::a stage::c\n"),
            "{edges}"
        );
        assert!(
            !edges.contains("stage::b stage::a"),
            "test code is no edge: {edges}"
        );
        // b -> a through `super::`, a -> b through a group: a cycle.
        write("src/stage/b.rs", "pub fn g() { super::a::x() }\n");
        let out = graph().expect("bash ran before");
        let _ = std::fs::remove_dir_all(&root);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("CYCLE") && err.contains("stage::a") && err.contains("stage::b"),
            "{err}"
        );
    }
}
