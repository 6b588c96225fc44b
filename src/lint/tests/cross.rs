//! The rules over several objects or one object's parts against another: pull policy and
//! digests, Service and NetworkPolicy ports, anti-affinity and spread against the domains, the
//! quota at maximum scale, Redis backups, and a typed setting that turns a rule off.

use super::*;

#[test]
fn pull_policy_follows_the_tag_and_digests_are_opt_in() {
    let image = |image: &str, policy: &str| {
        ids(&with(|a| {
            set(a, 0, &format!("{C}/image"), json!(image));
            set(a, 0, &format!("{C}/imagePullPolicy"), json!(policy));
        }))
    };
    // A moving tag pulled once per node: incoherent; pulled always: only the tag is a risk.
    assert_eq!(
        image("reg/web:latest", "IfNotPresent"),
        ["AGT122", "AGT123", "AGT124"]
    );
    assert_eq!(image("reg/web", "Always"), ["AGT122", "AGT124"]);
    // A pinned tag with IfNotPresent is the right policy; with a digest even `latest` is fixed.
    assert_eq!(image("reg/web:v1", "IfNotPresent"), ["AGT124"]);
    assert!(image(&DIGEST.replace(":v1", ":latest"), "IfNotPresent").is_empty());
    // A registry port is not a tag.
    assert_eq!(image("reg:5000/web", "Always"), ["AGT122", "AGT124"]);
    // Off unless asked for: the opt-in rule is neither shown nor an error by default.
    let all = with(|a| set(a, 0, &format!("{C}/image"), json!("reg/web:v1")));
    let refs: Vec<&J> = all.iter().collect();
    let found = lint(&refs, &Typed);
    assert_eq!(found.len(), 1);
    assert!(!found[0].shown(&[]) && found[0].shown(&["AGT124"]));
    assert!(!has_errors(&found));
}

#[test]
fn service_ports_reach_declared_container_ports() {
    let web_port = |a: &mut Vec<J>| {
        set(
            a,
            0,
            &format!("{C}/ports"),
            json!([{"name": "http", "containerPort": 8080}]),
        );
        a.push(allow(json!([{"port": "http"}])));
    };
    // By name and by number: reached; the named port is let in by the policy's named port.
    for target in [json!("http"), json!(8080)] {
        let got = ids(&with(|a| {
            web_port(a);
            set(a, 4, "/spec/selector", json!({"app": "web"}));
            set(
                a,
                4,
                "/spec/ports",
                json!([{"port": 80, "targetPort": target}]),
            );
        }));
        assert!(got.is_empty(), "{target}: {got:?}");
    }
    // A misspelled name, a wrong protocol, a selector that picks nothing: AGT132.
    for (selector, port) in [
        (
            json!({"app": "web"}),
            json!({"port": 80, "targetPort": "htpp"}),
        ),
        (
            json!({"app": "web"}),
            json!({"port": 80, "targetPort": 8080, "protocol": "UDP"}),
        ),
        (
            json!({"app": "wbe"}),
            json!({"port": 80, "targetPort": 8080}),
        ),
    ] {
        let got = ids(&with(|a| {
            web_port(a);
            set(a, 4, "/spec/selector", selector.clone());
            set(a, 4, "/spec/ports", json!([port.clone()]));
        }));
        assert_eq!(got, ["AGT132"], "{selector} {port}");
    }
}

#[test]
fn every_declared_port_is_let_in_and_nothing_else() {
    let ports = |declared: J, allowed: J| {
        ids(&with(|a| {
            set(a, 0, &format!("{C}/ports"), declared.clone());
            a.push(allow(allowed.clone()));
        }))
    };
    assert!(ports(json!([{"containerPort": 8080}]), json!([{"port": 8080}])).is_empty());
    // A range lets in every port in it, and a rule without ports every port.
    assert!(
        ports(
            json!([{"containerPort": 8080}]),
            json!([{"port": 8000, "endPort": 8100}])
        )
        .is_empty()
    );
    assert!(ports(json!([{"containerPort": 8080}]), json!([])).is_empty());
    // The other protocol is not the port.
    assert_eq!(
        ports(
            json!([{"containerPort": 8080}]),
            json!([{"port": 8080, "protocol": "UDP"}])
        ),
        ["AGT133", "AGT134"]
    );
    // A second port added (by a patch, a sidecar) and not let in: blocked, named in the finding.
    let all = with(|a| {
        set(
            a,
            0,
            &format!("{C}/ports"),
            json!([{"containerPort": 8080}, {"name": "otlp", "containerPort": 4317}]),
        );
        a.push(allow(json!([{"port": 8080}])));
    });
    let refs: Vec<&J> = all.iter().collect();
    let found = lint(&refs, &Typed);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].rule.id, "AGT133");
    assert_eq!(
        found[0].path_text(),
        "spec.template.spec.containers[0].ports[1].containerPort"
    );
    assert!(
        found[0].message.contains("4317/TCP (`otlp`)"),
        "{}",
        found[0].message
    );
    assert!(
        found[0].message.contains("deny, allow"),
        "{}",
        found[0].message
    );
    // A pod no ingress policy selects accepts every port: nothing to say.
    let open = with(|a| {
        set(a, 1, "/spec/policyTypes", json!(["Egress"]));
        set(
            a,
            0,
            &format!("{C}/ports"),
            json!([{"containerPort": 8080}]),
        );
    });
    assert_eq!(ids(&open), ["AGT131"]);
}

#[test]
fn anti_affinity_and_spread_are_held_to_the_domains_the_render_names() {
    let affinity = |replicas: i64, aff: J| {
        ids(&with(|a| {
            set(a, 0, "/spec/replicas", json!(replicas));
            set(a, 0, &format!("{P}/affinity"), aff.clone());
        }))
    };
    // One replica in one zone fits; but the rolling update's surge pod has nowhere to go.
    let all = with(|a| {
        set(a, 0, "/spec/replicas", json!(1));
        set(a, 0, &format!("{P}/affinity"), one_zone_anti_affinity());
    });
    let refs: Vec<&J> = all.iter().collect();
    let found = lint(&refs, &Typed);
    assert_eq!(found.len(), 1);
    assert!(
        found[0].message.contains("every rollout stalls"),
        "{}",
        found[0].message
    );
    // With no surge (Recreate), one replica fits.
    let recreate = with(|a| {
        set(a, 0, "/spec/replicas", json!(1));
        set(a, 0, "/spec/strategy", json!({"type": "Recreate"}));
        set(a, 0, &format!("{P}/affinity"), one_zone_anti_affinity());
    });
    assert!(ids(&recreate).is_empty());
    // Two zones named: two replicas fit, but not with surge; three never.
    let mut two = one_zone_anti_affinity();
    two["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"][0]
        ["matchExpressions"][0]["values"] = json!(["a", "b"]);
    assert_eq!(affinity(2, two.clone()), ["AGT172"]);
    assert_eq!(affinity(1, two.clone()), Vec::<&str>::new());
    // The autoscaler's maximum counts, not spec.replicas.
    let hpa = json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "h", "namespace": "ns"},
        "spec": {"minReplicas": 1, "maxReplicas": 5,
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}}});
    let scaled = with(|a| {
        set(a, 0, "/spec/replicas", json!(1));
        set(a, 0, &format!("{P}/affinity"), two.clone());
        a.push(hpa.clone());
    });
    let refs: Vec<&J> = scaled.iter().collect();
    let found = lint(&refs, &Typed);
    assert!(
        found.iter().any(|f| f.rule.id == "AGT172"
            && f.message.contains("5 replicas at most")
            && f.message.contains("3 stay Pending")),
        "{found:?}"
    );
    // Preferred anti-affinity, or domains the render does not know: nothing to say.
    let mut preferred = one_zone_anti_affinity();
    let term =
        preferred["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0].take();
    preferred["podAntiAffinity"] = json!({"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100, "podAffinityTerm": term}]});
    assert!(affinity(3, preferred).is_empty());
    let mut unknown = one_zone_anti_affinity();
    unknown.as_object_mut().unwrap().remove("nodeAffinity");
    assert!(affinity(3, unknown).is_empty());
    // A DoNotSchedule spread whose minDomains exceeds the named zones: maxSkew per zone.
    let spread = |skew: i64| {
        with(move |a| {
            set(a, 0, "/spec/strategy", json!({"type": "Recreate"}));
            set(
                a,
                0,
                &format!("{P}/nodeSelector"),
                json!({"topology.kubernetes.io/zone": "a"}),
            );
            set(
                a,
                0,
                &format!("{P}/topologySpreadConstraints"),
                json!([{"maxSkew": skew, "minDomains": 3,
                "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "DoNotSchedule",
                "labelSelector": {"matchLabels": {"app": "web"}}}]),
            );
        })
    };
    assert_eq!(ids(&spread(1)), ["AGT172"]);
    assert!(ids(&spread(2)).is_empty());
}

#[test]
fn the_quota_holds_every_pod_at_maximum_scale() {
    // Two replicas + one surge pod of 1 CPU / 1Gi each.
    let q = |hard: J| ids(&with(|a| a.push(quota(hard.clone()))));
    assert!(q(json!({"requests.cpu": "3", "limits.memory": "3Gi", "pods": "3"})).is_empty());
    assert_eq!(
        q(json!({"requests.cpu": "3", "limits.memory": "3Gi", "pods": "2"})),
        ["AGT173"]
    );
    assert_eq!(q(json!({"limits.memory": "2Gi"})), ["AGT173"]);
    // A native sidecar counts, and so does the autoscaler's maximum.
    let mut side = container("side");
    side["restartPolicy"] = json!("Always");
    let all = with(|a| {
        set(a, 0, &format!("{P}/initContainers"), json!([side.clone()]));
        a.push(quota(json!({"requests.cpu": "5"})));
    });
    let refs: Vec<&J> = all.iter().collect();
    let found = lint(&refs, &Typed);
    assert_eq!(found.len(), 1);
    assert!(
        found[0].message.contains("less than the 6 needed"),
        "{}",
        found[0].message
    );
    assert!(
        found[0].message.contains("Deployment/web 3 × 2"),
        "{}",
        found[0].message
    );
    // Its causes, for locating it at the override that raised the count: the replicas (no
    // autoscaler here), the surge, each container's and native sidecar's resources.
    let causes: Vec<String> = found[0]
        .causes
        .iter()
        .map(|(o, p)| format!("{o} {}", crate::config::patches::PathDisplay(p)))
        .collect();
    assert_eq!(
        causes,
        [
            "Deployment/web spec.replicas",
            "Deployment/web spec.strategy",
            "Deployment/web spec.template.spec.containers[0].resources",
            "Deployment/web spec.template.spec.initContainers[0].resources",
            "Deployment/web spec.template.spec.overhead",
        ]
    );
    // Claims: a StatefulSet's templates count once per replica.
    assert_eq!(
        ids(&with(|a| {
            a.push(redis());
            a.push(backup_job("redis-service"));
            a.push(quota(json!({"persistentvolumeclaims": "0"})));
        })),
        ["AGT173"]
    );
    // A scoped quota counts what the objects do not say: left alone.
    let mut scoped = quota(json!({"pods": "0"}));
    scoped["spec"]["scopes"] = json!(["BestEffort"]);
    assert!(ids(&with(|a| a.push(scoped.clone()))).is_empty());
}

#[test]
fn a_persistent_redis_needs_a_backup_that_reaches_it() {
    assert!(
        ids(&with(|a| {
            a.push(redis());
            a.push(backup_job("redis-service"));
        }))
        .is_empty()
    );
    // A job that reaches something else, or a suspended one, is no backup.
    assert_eq!(
        ids(&with(|a| {
            a.push(redis());
            a.push(backup_job("postgres"));
        })),
        ["AGT174"]
    );
    let mut suspended = backup_job("redis-service");
    suspended["spec"]["suspend"] = json!(true);
    assert_eq!(
        ids(&with(|a| {
            a.push(redis());
            a.push(suspended.clone());
        })),
        ["AGT174"]
    );
    // Blamed, in order, on the CronJob (suspended, or its containers) and the Redis's name.
    let all = with(|a| {
        a.push(redis());
        a.push(suspended.clone());
    });
    let refs: Vec<&J> = all.iter().collect();
    let found = lint(&refs, &Typed);
    let causes: Vec<String> = found[0]
        .causes
        .iter()
        .map(|(o, p)| format!("{o} {}", crate::config::patches::PathDisplay(p)))
        .collect();
    let job = crate::config::patches::object_id(&suspended);
    assert_eq!(
        causes,
        [
            format!("{job} spec.suspend"),
            format!("{job} spec.jobTemplate.spec.template.spec.containers"),
            "StatefulSet/redis spec.serviceName".to_owned(),
        ]
    );
    // Without a volume there is nothing to lose.
    let mut ephemeral = redis();
    ephemeral["spec"]
        .as_object_mut()
        .unwrap()
        .remove("volumeClaimTemplates");
    assert!(ids(&with(|a| a.push(ephemeral.clone()))).is_empty());
}

/// A typed setting that turns one rule off.
struct Off(&'static str);
impl Provenance for Off {
    fn intent(&self, rule: &Rule, _: &str, _: &[Seg]) -> Option<String> {
        (rule.id == self.0).then(|| "off by `networkPolicy.enabled: false`".to_owned())
    }
}

#[test]
fn a_typed_setting_turns_a_rule_off_with_a_note() {
    let all = with(|a| {
        a.remove(1); // no NetworkPolicy at all
    });
    let refs: Vec<&J> = all.iter().collect();
    let found = lint(&refs, &Off("AGT131"));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].rule.id, "AGT131");
    assert!(found[0].waived() && !has_errors(&found));
    assert!(
        report::text_one(&found[0], "").contains("= note: off by `networkPolicy.enabled: false`")
    );
    // Only that rule: the same render without the setting is refused.
    assert!(has_errors(&lint(&refs, &Typed)));
    assert!(has_errors(&lint(&refs, &Off("AGT174"))));
}

/// AGT136 and AGT131 on a CronJob whose pod template has no labels (issue 21's trial, W10).
#[test]
fn a_pod_template_without_labels_is_still_selected_by_an_empty_selector() {
    // A pod template with no labels: `podSelector: {}` selects it all the same (AGT136), and
    // with no policy at all it is not isolated (AGT131).
    let mut bare = batch_job();
    bare["spec"]["jobTemplate"]["spec"]["template"]
        .as_object_mut()
        .unwrap()
        .remove("metadata");
    assert_eq!(ids(&with(|a| a.push(bare.clone()))), ["AGT136"]);
    let got = ids(&with(|a| {
        a.retain(|o| o["kind"] != "NetworkPolicy");
        a.push(bare.clone());
    }));
    assert!(got.contains(&"AGT131"), "{got:?}");
}
