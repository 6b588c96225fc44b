//! Rules on who a workload reaches and is reached by, and what a fix tells the user: RBAC
//! bindings to broad roles or to everyone (AGT153), a job the default deny leaves unable to send
//! (AGT136), and a fix naming the finding's own object for its `accept:` entry.

use super::*;

/// AGT153: a binding to a broad built-in ClusterRole, or to everyone; a binding of a Role the
/// render writes to a named ServiceAccount is fine, as is a ClusterRole of another name.
#[test]
fn bindings_to_broad_roles_or_to_everyone_fire() {
    let binding = |kind: &str, role: &str, subject: J| {
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": "b", "namespace": "ns"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": role},
            "subjects": [subject]})
    };
    let sa = json!({"kind": "ServiceAccount", "name": "agent", "namespace": "ns"});
    let all = json!({"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "system:authenticated"});
    for (b, want) in [
        (binding("ClusterRole", "admin", sa.clone()), vec!["AGT153"]),
        (binding("ClusterRole", "edit", sa.clone()), vec!["AGT153"]),
        (binding("Role", "r", all.clone()), vec!["AGT153"]),
        (binding("Role", "r", sa.clone()), vec![]),
        (
            binding("ClusterRole", "view-configmaps", sa.clone()),
            vec![],
        ),
        // A Role that happens to be named like the built-in ClusterRole grants only its rules.
        (binding("Role", "admin", sa.clone()), vec![]),
    ] {
        let got = ids(&with(|a| a.push(b.clone())));
        assert_eq!(got, want, "{b}");
    }
}

/// AGT136 (issue 21's trial, W8): a CronJob the default deny isolates for egress and no policy
/// lets out fires; a policy with any egress rule selecting its pods silences it; a Deployment
/// (a server may well send nothing: Redis) never fires it.
#[test]
fn a_job_that_can_send_nothing_is_said() {
    assert_eq!(ids(&with(|a| a.push(batch_job()))), ["AGT136"]);
    // The base's DNS policy selects `app: web`: a job of those pods may look names up.
    assert!(ids(&with(|a| a.push(backup_job("redis")))).is_empty());
    // Without it, they send nothing either.
    assert_eq!(
        ids(&with(|a| {
            a.retain(|o| o["metadata"]["name"] != "dns");
            a.push(backup_job("redis"));
        })),
        ["AGT136"]
    );
    // A Deployment with no egress at all is left alone (a server may send nothing).
    let mut server = deployment();
    server["spec"]["template"]["metadata"]["labels"] = json!({"app": "batch"});
    server["metadata"]["name"] = json!("cache");
    let got = ids(&with(|a| a.push(server.clone())));
    assert!(!got.contains(&"AGT136"), "{got:?}");
    // No policy isolates it for egress: AGT131's, not this rule's.
    let got = ids(&with(|a| {
        a[1]["spec"]["policyTypes"] = json!(["Ingress"]);
        a.push(batch_job());
    }));
    assert!(!got.contains(&"AGT136"), "{got:?}");
}

/// A fix that names the object of an `accept:` entry names the finding's own object (trial 3:
/// AGT140's help on `Service/dev-agent-metrics-nodeport` said `object: Service/agent-service`,
/// an entry that matched nothing); the rule's documentation shows a placeholder, never `{object}`.
#[test]
fn a_fix_names_the_finding_s_own_object() {
    let r = crate::lint::rule("AGT140").expect("AGT140");
    let fix = r.fix_for("Service/dev-agent-metrics-nodeport");
    assert!(
        fix.contains("object: Service/dev-agent-metrics-nodeport"),
        "{fix}"
    );
    assert!(!fix.contains("agent-service,"), "{fix}");
    for r in crate::lint::RULES {
        assert!(!r.fix_text().contains("{object}"), "{}", r.id);
        assert!(!r.fix_for("Kind/x").contains("{object}"), "{}", r.id);
    }
}
