//! Every built-in kind of the Kubernetes API k8s-openapi models (the version agentctl builds
//! against), for extra objects (`resources:`): one row per listable resource type of
//! k8s-openapi, its apiVersion, plural and scope read from the type's own `Resource`
//! metadata, its round trip through the type itself. Generated from k8s-openapi's types (the
//! `ListableResource` implementations); a test holds this table to that crate's source, so a
//! k8s-openapi upgrade that adds a kind fails until it is listed. The kinds agentctl renders
//! itself ([`super::objects::KINDS`]) come first in every lookup.
//!
//! Must not render or check anything: data and lookups only.

use super::objects::{self, Kind, Served, served_by_api_server};
use crate::k8s::version::{self, FLOOR, NEWEST};
use crate::suggest::did_you_mean;

mod removed;

pub use removed::REMOVED;

/// The Kubernetes version whose built-in kinds the table lists (k8s-openapi's feature).
pub const K8S_VERSION: &str = "1.33";

/// Every listable built-in resource type of k8s-openapi.
pub const BUILT_IN: &[Kind] = &[
    served_by_api_server::<k8s_openapi::api::admissionregistration::v1::MutatingWebhookConfiguration>(),
    served_by_api_server::<k8s_openapi::api::admissionregistration::v1::ValidatingAdmissionPolicy>(),
    served_by_api_server::<k8s_openapi::api::admissionregistration::v1::ValidatingAdmissionPolicyBinding>(),
    served_by_api_server::<k8s_openapi::api::admissionregistration::v1::ValidatingWebhookConfiguration>(),
    served_by_api_server::<k8s_openapi::api::admissionregistration::v1alpha1::MutatingAdmissionPolicy>(),
    served_by_api_server::<k8s_openapi::api::admissionregistration::v1alpha1::MutatingAdmissionPolicyBinding>(),
    served_by_api_server::<k8s_openapi::api::admissionregistration::v1beta1::ValidatingAdmissionPolicy>(),
    served_by_api_server::<k8s_openapi::api::admissionregistration::v1beta1::ValidatingAdmissionPolicyBinding>(),
    served_by_api_server::<k8s_openapi::api::apiserverinternal::v1alpha1::StorageVersion>(),
    served_by_api_server::<k8s_openapi::api::apps::v1::ControllerRevision>(),
    served_by_api_server::<k8s_openapi::api::apps::v1::DaemonSet>(),
    served_by_api_server::<k8s_openapi::api::apps::v1::Deployment>(),
    served_by_api_server::<k8s_openapi::api::apps::v1::ReplicaSet>(),
    served_by_api_server::<k8s_openapi::api::apps::v1::StatefulSet>(),
    served_by_api_server::<k8s_openapi::api::autoscaling::v1::HorizontalPodAutoscaler>(),
    served_by_api_server::<k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler>(),
    served_by_api_server::<k8s_openapi::api::batch::v1::CronJob>(),
    served_by_api_server::<k8s_openapi::api::batch::v1::Job>(),
    served_by_api_server::<k8s_openapi::api::certificates::v1::CertificateSigningRequest>(),
    served_by_api_server::<k8s_openapi::api::certificates::v1alpha1::ClusterTrustBundle>(),
    served_by_api_server::<k8s_openapi::api::certificates::v1beta1::ClusterTrustBundle>(),
    served_by_api_server::<k8s_openapi::api::coordination::v1::Lease>(),
    served_by_api_server::<k8s_openapi::api::coordination::v1alpha2::LeaseCandidate>(),
    served_by_api_server::<k8s_openapi::api::coordination::v1beta1::LeaseCandidate>(),
    served_by_api_server::<k8s_openapi::api::core::v1::ComponentStatus>(),
    served_by_api_server::<k8s_openapi::api::core::v1::ConfigMap>(),
    served_by_api_server::<k8s_openapi::api::core::v1::Endpoints>(),
    served_by_api_server::<k8s_openapi::api::core::v1::Event>(),
    served_by_api_server::<k8s_openapi::api::core::v1::LimitRange>(),
    served_by_api_server::<k8s_openapi::api::core::v1::Namespace>(),
    served_by_api_server::<k8s_openapi::api::core::v1::Node>(),
    served_by_api_server::<k8s_openapi::api::core::v1::PersistentVolume>(),
    served_by_api_server::<k8s_openapi::api::core::v1::PersistentVolumeClaim>(),
    served_by_api_server::<k8s_openapi::api::core::v1::Pod>(),
    served_by_api_server::<k8s_openapi::api::core::v1::PodTemplate>(),
    served_by_api_server::<k8s_openapi::api::core::v1::ReplicationController>(),
    served_by_api_server::<k8s_openapi::api::core::v1::ResourceQuota>(),
    served_by_api_server::<k8s_openapi::api::core::v1::Secret>(),
    served_by_api_server::<k8s_openapi::api::core::v1::Service>(),
    served_by_api_server::<k8s_openapi::api::core::v1::ServiceAccount>(),
    served_by_api_server::<k8s_openapi::api::discovery::v1::EndpointSlice>(),
    served_by_api_server::<k8s_openapi::api::events::v1::Event>(),
    served_by_api_server::<k8s_openapi::api::flowcontrol::v1::FlowSchema>(),
    served_by_api_server::<k8s_openapi::api::flowcontrol::v1::PriorityLevelConfiguration>(),
    served_by_api_server::<k8s_openapi::api::networking::v1::IPAddress>(),
    served_by_api_server::<k8s_openapi::api::networking::v1::Ingress>(),
    served_by_api_server::<k8s_openapi::api::networking::v1::IngressClass>(),
    served_by_api_server::<k8s_openapi::api::networking::v1::NetworkPolicy>(),
    served_by_api_server::<k8s_openapi::api::networking::v1::ServiceCIDR>(),
    served_by_api_server::<k8s_openapi::api::networking::v1beta1::IPAddress>(),
    served_by_api_server::<k8s_openapi::api::networking::v1beta1::ServiceCIDR>(),
    served_by_api_server::<k8s_openapi::api::node::v1::RuntimeClass>(),
    served_by_api_server::<k8s_openapi::api::policy::v1::PodDisruptionBudget>(),
    served_by_api_server::<k8s_openapi::api::rbac::v1::ClusterRole>(),
    served_by_api_server::<k8s_openapi::api::rbac::v1::ClusterRoleBinding>(),
    served_by_api_server::<k8s_openapi::api::rbac::v1::Role>(),
    served_by_api_server::<k8s_openapi::api::rbac::v1::RoleBinding>(),
    served_by_api_server::<k8s_openapi::api::resource::v1alpha3::DeviceClass>(),
    served_by_api_server::<k8s_openapi::api::resource::v1alpha3::DeviceTaintRule>(),
    served_by_api_server::<k8s_openapi::api::resource::v1alpha3::ResourceClaim>(),
    served_by_api_server::<k8s_openapi::api::resource::v1alpha3::ResourceClaimTemplate>(),
    served_by_api_server::<k8s_openapi::api::resource::v1alpha3::ResourceSlice>(),
    served_by_api_server::<k8s_openapi::api::resource::v1beta1::DeviceClass>(),
    served_by_api_server::<k8s_openapi::api::resource::v1beta1::ResourceClaim>(),
    served_by_api_server::<k8s_openapi::api::resource::v1beta1::ResourceClaimTemplate>(),
    served_by_api_server::<k8s_openapi::api::resource::v1beta1::ResourceSlice>(),
    served_by_api_server::<k8s_openapi::api::resource::v1beta2::DeviceClass>(),
    served_by_api_server::<k8s_openapi::api::resource::v1beta2::ResourceClaim>(),
    served_by_api_server::<k8s_openapi::api::resource::v1beta2::ResourceClaimTemplate>(),
    served_by_api_server::<k8s_openapi::api::resource::v1beta2::ResourceSlice>(),
    served_by_api_server::<k8s_openapi::api::scheduling::v1::PriorityClass>(),
    served_by_api_server::<k8s_openapi::api::storage::v1::CSIDriver>(),
    served_by_api_server::<k8s_openapi::api::storage::v1::CSINode>(),
    served_by_api_server::<k8s_openapi::api::storage::v1::CSIStorageCapacity>(),
    served_by_api_server::<k8s_openapi::api::storage::v1::StorageClass>(),
    served_by_api_server::<k8s_openapi::api::storage::v1::VolumeAttachment>(),
    served_by_api_server::<k8s_openapi::api::storage::v1alpha1::VolumeAttributesClass>(),
    served_by_api_server::<k8s_openapi::api::storage::v1beta1::VolumeAttributesClass>(),
    served_by_api_server::<k8s_openapi::api::storagemigration::v1alpha1::StorageVersionMigration>(),
    served_by_api_server::<k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition>(),
    served_by_api_server::<k8s_openapi::kube_aggregator::pkg::apis::apiregistration::v1::APIService>(),
];

/// The row of a built-in kind, by `apiVersion` and `kind` (a kind of a group/version removed
/// between the floor and 1.33 included: [`REMOVED`]).
pub fn kind(api: &str, kind: &str) -> Option<&'static Kind> {
    BUILT_IN
        .iter()
        .chain(REMOVED)
        .find(|k| k.api == api && k.kind == kind)
}

/// Whether the row is of a group/version removed before 1.33 ([`REMOVED`]).
pub fn is_removed(row: &Kind) -> bool {
    REMOVED
        .iter()
        .any(|k| k.api == row.api && k.kind == row.kind)
}

/// The group/version that serves `kind` in every version agentctl knows, for the fix of one
/// removed (`flowcontrol.apiserver.k8s.io/v1` for a v1beta3 FlowSchema).
pub fn current_api(row: &Kind) -> Option<&'static str> {
    BUILT_IN
        .iter()
        .find(|k| k.kind == row.kind && k.group == row.group)
        .map(|k| k.api)
}

/// Why an object's `apiVersion` and `kind` name no kind agentctl can check: the message, the
/// fix (with "did you mean" when a near name exists), and whether `apiVersion` (not `kind`) is
/// the field at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unknown {
    /// What is wrong.
    pub message: String,
    /// The fix.
    pub hint: String,
    /// `apiVersion` is at fault (the kind exists in another version).
    pub api_at_fault: bool,
}

/// The row of a kind agentctl renders or of any built-in kind, by `apiVersion` and `kind`; or
/// why there is none: the kind in other versions (`apps/v2`), the kind in another case
/// (`Configmap`), a near kind (`CronJb`).
pub fn lookup(api: &str, kind_name: &str) -> Result<&'static Kind, Unknown> {
    lookup_for(api, kind_name, NEWEST)
}

/// [`lookup`] for a render aimed at `target` (`kubeVersion`): an unknown kind's message names
/// that version (a kind unknown to the newest and to the removed tables is one no supported
/// version serves).
pub fn lookup_for(
    api: &str,
    kind_name: &str,
    target: version::KubeVersion,
) -> Result<&'static Kind, Unknown> {
    if let Some(k) = objects::kind(api, kind_name).or_else(|| kind(api, kind_name)) {
        return Ok(k);
    }
    let all = || {
        objects::KINDS
            .iter()
            .chain(BUILT_IN)
            .chain(REMOVED)
            .filter(|k| k.served != Served::Kubectl)
    };
    let mut versions: Vec<&str> = all()
        .filter(|k| k.kind == kind_name)
        .map(|k| k.api)
        .collect();
    versions.dedup();
    if !versions.is_empty() {
        let best = did_you_mean(api, versions.iter().copied()).unwrap_or(versions[0]);
        return Err(Unknown {
            message: match version::removed_in(api, kind_name) {
                // Removed before the floor (`batch/v1beta1`): no supported target serves it.
                Some(until) if until <= FLOOR => format!(
                    "`{api}` is not served since Kubernetes {until}: no version agentctl supports ({FLOOR} to {NEWEST}) serves it"
                ),
                _ => format!("`{api}` does not serve {kind_name}"),
            },
            hint: format!(
                "did you mean `apiVersion: {best}`? {kind_name} is served as {}",
                versions.join(", ")
            ),
            api_at_fault: true,
        });
    }
    let near = all()
        .find(|k| k.kind.eq_ignore_ascii_case(kind_name))
        .or_else(|| {
            did_you_mean(kind_name, all().map(|k| k.kind)).and_then(|n| all().find(|k| k.kind == n))
        });
    Err(Unknown {
        message: format!(
            "`{kind_name}` ({api}) is neither a built-in kind of Kubernetes {target}, a custom kind agentctl renders, nor the kind of a CRD listed under `crds:`"
        ),
        hint: match near {
            Some(k) => format!("did you mean `kind: {}` (`apiVersion: {}`)?", k.kind, k.api),
            None => "for a custom kind, list its CRD file: `crds: [crds/my-kind.yaml]` (`kubectl get crd NAME -o yaml` saves one from a cluster); agentctl knows the built-in kinds and those of the operators it renders for (KEDA ScaledObject, Prometheus Operator, External Secrets, VPA, Gateway API HTTPRoute)".into(),
        },
        api_at_fault: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table lists every `ListableResource` of the k8s-openapi the build uses: read from
    /// its source, found through `cargo metadata` (offline).
    #[test]
    fn the_table_is_every_listable_resource_of_k8s_openapi() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        // The host's packages only: offline, cargo can resolve only what was downloaded, and
        // a build downloads no other platform's (a fresh machine has no `anstyle-wincon`).
        let rustc = std::process::Command::new("rustc")
            .arg("-vV")
            .output()
            .expect("rustc -vV runs");
        let host = String::from_utf8_lossy(&rustc.stdout)
            .lines()
            .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
            .expect("rustc names its host");
        let out = std::process::Command::new(cargo)
            .args(["metadata", "--format-version", "1", "--offline"])
            .args(["--filter-platform", &host])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("cargo metadata runs");
        let meta: serde_json::Value =
            serde_json::from_slice(&out.stdout).expect("metadata is JSON");
        let manifest = meta["packages"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["name"] == "k8s-openapi")
            .and_then(|p| p["manifest_path"].as_str())
            .expect("k8s-openapi is a dependency")
            .to_owned();
        let dir = std::path::Path::new(&manifest)
            .parent()
            .expect("its directory")
            .join("src/v1_33");
        let mut found = Vec::new();
        let mut stack = vec![dir];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).expect("a source directory") {
                let p = e.expect("entry").path();
                if p.is_dir() {
                    stack.push(p);
                } else if let Ok(text) = std::fs::read_to_string(&p) {
                    for line in text.lines() {
                        if let Some(t) = line
                            .trim()
                            .strip_prefix("impl crate::ListableResource for ")
                        {
                            found.push(t.trim_end_matches(" {").trim().to_owned());
                        }
                    }
                }
            }
        }
        assert!(found.len() >= 80, "{found:?}");
        let mut listed: Vec<&str> = BUILT_IN.iter().map(|k| k.kind).collect();
        listed.sort_unstable();
        found.sort();
        assert_eq!(listed, found.iter().map(String::as_str).collect::<Vec<_>>());
        // Each row is its type's own metadata.
        let job = kind("batch/v1", "Job").expect("Job");
        assert_eq!(
            (job.plural, job.scope),
            ("jobs", super::super::objects::Scope::Namespaced)
        );
        let pc = kind("scheduling.k8s.io/v1", "PriorityClass").expect("PriorityClass");
        assert_eq!(pc.scope, super::super::objects::Scope::Cluster);
    }

    /// `k8s::object::CLUSTER_SCOPED` (what impact and the kustomize build of `diff --base` read
    /// a kind's scope from) is exactly the cluster-scoped kinds of this table, of the removed
    /// rows and of agentctl's own, plus the custom kinds it names as cluster-scoped.
    #[test]
    fn the_k8s_list_of_cluster_scoped_kinds_is_this_table() {
        use super::super::objects::{KINDS, Scope};
        let mut from_types: Vec<&str> = BUILT_IN
            .iter()
            .chain(REMOVED)
            .chain(KINDS)
            .filter(|k| k.scope == Scope::Cluster)
            .map(|k| k.kind)
            .chain(["ClusterIssuer", "ClusterSecretStore"])
            .collect();
        from_types.sort_unstable();
        from_types.dedup();
        let mut listed = crate::k8s::object::CLUSTER_SCOPED.to_vec();
        listed.sort_unstable();
        assert_eq!(listed, from_types);
        // A kind that is namespaced in one version and cluster-scoped in another would make
        // the list ambiguous.
        for k in BUILT_IN.iter().chain(REMOVED).chain(KINDS) {
            assert_eq!(
                crate::k8s::object::cluster_scoped(k.kind),
                k.scope == Scope::Cluster,
                "{} {}",
                k.api,
                k.kind
            );
        }
    }

    /// The removed kinds and `k8s::version`'s lifecycle table agree: each row is served by the
    /// floor and refused from the version it was removed in; each group/version removed within
    /// the range has rows; one removed before the floor has none, and the lookup says when it
    /// went.
    #[test]
    fn removed_kinds_and_the_version_table_agree() {
        use crate::k8s::version::{self, FLOOR, KubeVersion, NEWEST};
        assert!(!REMOVED.is_empty());
        for k in REMOVED {
            let until = version::removed_in(k.api, k.kind).expect("in the lifecycle table");
            assert!(until > FLOOR && until <= NEWEST, "{} {}", k.api, k.kind);
            assert!(version::served(k.api, k.kind, FLOOR).is_ok());
            let last = KubeVersion::new(until.minor() - 1);
            assert!(version::served(k.api, k.kind, last).is_ok());
            assert!(version::served(k.api, k.kind, until).is_err());
            assert!(lookup(k.api, k.kind).is_ok(), "{} {}", k.api, k.kind);
            // Not a kind k8s-openapi still models at that version.
            assert!(!BUILT_IN.iter().any(|b| b.api == k.api && b.kind == k.kind));
            // It round-trips through its v1 type, its apiVersion kept.
            let doc =
                serde_json::json!({"apiVersion": k.api, "kind": k.kind, "metadata": {"name": "x"}});
            let back = (k.through)(&doc).expect("round trip");
            assert_eq!(back["apiVersion"], k.api);
        }
        for (api, kind, until) in version::removals() {
            let in_range = until > FLOOR && until <= NEWEST;
            let rows = REMOVED
                .iter()
                .filter(|k| k.api == api && (kind.is_empty() || k.kind == kind))
                .count();
            if in_range {
                assert!(
                    rows > 0,
                    "{api} {kind}: removed in {until}, served by {FLOOR}: no row"
                );
            } else {
                assert_eq!(
                    rows, 0,
                    "{api} {kind}: removed in {until}, before the floor"
                );
            }
        }
        for (api, kind, gone) in [
            ("autoscaling/v2beta2", "HorizontalPodAutoscaler", "1.26"),
            ("batch/v1beta1", "CronJob", "1.25"),
            ("policy/v1beta1", "PodDisruptionBudget", "1.25"),
            ("storage.k8s.io/v1beta1", "CSIStorageCapacity", "1.27"),
        ] {
            let u = lookup(api, kind).expect_err("removed before the floor");
            assert!(
                u.api_at_fault
                    && u.message
                        .contains(&format!("not served since Kubernetes {gone}")),
                "{u:?}"
            );
        }
        // v1beta2's share count survives the trip through v1's renamed field.
        let plc = serde_json::json!({
            "apiVersion": "flowcontrol.apiserver.k8s.io/v1beta2",
            "kind": "PriorityLevelConfiguration",
            "metadata": {"name": "x"},
            "spec": {"type": "Limited", "limited": {"assuredConcurrencyShares": 5, "limitResponse": {"type": "Reject"}}}
        });
        let row = kind(
            "flowcontrol.apiserver.k8s.io/v1beta2",
            "PriorityLevelConfiguration",
        )
        .expect("a row");
        assert_eq!((row.through)(&plc).expect("round trip"), plc);
    }
}
