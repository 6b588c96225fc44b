//! The table of what agentctl renders: one row per output file, one row per kind of object.
//!
//! [`OBJECTS`] has one row per output file, in apply order (the order of `kustomization.yaml`'s
//! `resources`, `kustomization.yaml` itself last): its template, the condition that renders it
//! (there is no default: a row without a condition does not compile) and the kinds of the
//! objects it renders. [`KINDS`] has one row per kind: its typed round trip (k8s-openapi's type,
//! or a typed struct in [`super::crds`] / [`super::httproute`]), whether it is cluster-scoped
//! (from the type), and who serves it: the API server itself, a CRD and the operator the cluster
//! needs for it, or kubectl alone (the Kustomization). Its order is the order of the prune
//! allowlist and of the kinds an extra object may be.
//!
//! Everything that needs to know about rendered objects reads these two tables: the renderer
//! (templates and conditions), the round trip (the registry of kinds: an object whose kind is not
//! listed is refused, and so is a template object its row does not list), the stored form (which
//! kinds the API server normalizes), the prerequisites (the operators), the prune command,
//! and the conformance harness (`agentctl __objects --format json`).
//!
//! Adding an object: a row in [`OBJECTS`], its template, its settings. A kind agentctl has never
//! rendered also needs its row in [`KINDS`] (appended: the allowlist keeps its order). Must not
//! render, parse or check anything: data and lookups only.

use anyhow::Result;
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::CronJob;
use k8s_openapi::api::core::v1::{
    ConfigMap, LimitRange, Namespace, PersistentVolumeClaim, ResourceQuota, Service, ServiceAccount,
};
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use k8s_openapi::{ClusterResourceScope, NamespaceResourceScope, Resource};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value as J;

use crate::config::{Config, DataVolume};
use crate::render::crds::{
    ExternalSecret, Kustomization, PrometheusRule, ServiceMonitor, VerticalPodAutoscaler,
};
use crate::render::httproute::HttpRoute;
use crate::render::keda::{ScaledObject, TriggerAuthentication};
use crate::render::typed::through;

/// Whether objects of a kind live in a namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// In a namespace (every object agentctl renders but the Namespace).
    Namespaced,
    /// Cluster-wide.
    Cluster,
}

/// Who serves a kind, which says what the cluster needs before `kubectl apply`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Served {
    /// The API server itself: nothing to install, and it stores the kind's quantities in their
    /// canonical form ([`super::stored`]).
    BuiltIn,
    /// A CustomResourceDefinition, and what installs it and acts on the objects: a prerequisite.
    Crd {
        /// What to install, as the cluster's needs say it (`Prometheus Operator`).
        operator: &'static str,
    },
    /// Nobody in the cluster: kubectl reads it and never sends it (the Kustomization).
    Kubectl,
}

/// One kind of object agentctl may render (a row of [`KINDS`]).
#[derive(Debug, Clone, Copy)]
pub struct Kind {
    /// `apiVersion` (`apps/v1`, `v1`).
    pub api: &'static str,
    /// API group (`apps`; empty for the core group).
    pub group: &'static str,
    /// `kind`.
    pub kind: &'static str,
    /// The resource's plural name, as `kubectl get` and RBAC name it (`deployments`).
    pub plural: &'static str,
    /// Namespaced or cluster-scoped.
    pub scope: Scope,
    /// Who serves it.
    pub served: Served,
    /// The typed round trip ([`through`] with its type).
    pub through: fn(&J) -> Result<J>,
}

impl Kind {
    /// Whether `kubectl apply` sends it to the cluster, into the namespace: what an extra object
    /// may be and what `--prune` may delete (never the Namespace, never the Kustomization).
    pub fn namespaced_in_cluster(&self) -> bool {
        self.scope == Scope::Namespaced && self.served != Served::Kubectl
    }
}

/// The scope of a k8s-openapi scope type.
pub trait Scoped {
    /// Namespaced or cluster-scoped.
    const SCOPE: Scope;
}

impl Scoped for NamespaceResourceScope {
    const SCOPE: Scope = Scope::Namespaced;
}

impl Scoped for ClusterResourceScope {
    const SCOPE: Scope = Scope::Cluster;
}

/// The row of a kind the API server serves (k8s-openapi's type).
pub(crate) const fn served_by_api_server<T>() -> Kind
where
    T: Resource + DeserializeOwned + Serialize,
    T::Scope: Scoped,
{
    of::<T>(Served::BuiltIn)
}

/// The row of a custom kind (a typed struct implementing [`Resource`]) and the operator that
/// serves it.
const fn custom<T>(operator: &'static str) -> Kind
where
    T: Resource + DeserializeOwned + Serialize,
    T::Scope: Scoped,
{
    of::<T>(Served::Crd { operator })
}

const fn of<T>(served: Served) -> Kind
where
    T: Resource + DeserializeOwned + Serialize,
    T::Scope: Scoped,
{
    Kind {
        api: T::API_VERSION,
        group: T::GROUP,
        kind: T::KIND,
        plural: T::URL_PATH_SEGMENT,
        scope: <T::Scope as Scoped>::SCOPE,
        served,
        through: through::<T>,
    }
}

const PROMETHEUS_OPERATOR: &str = "Prometheus Operator";
const VPA: &str = "Vertical Pod Autoscaler (CRDs and recommender)";
const KEDA: &str = "KEDA (CRDs, operator and metrics API server)";
const EXTERNAL_SECRETS: &str = "External Secrets Operator";
const GATEWAY_API: &str = "Gateway API CRDs and a Gateway controller";

/// The commands that install what serves a custom kind ([`Served::Crd`]'s `operator`), as
/// `agentctl doctor` suggests them when its API group is not served; empty for one we do not
/// know how to install.
pub fn install(operator: &str) -> &'static [&'static str] {
    match operator {
        PROMETHEUS_OPERATOR => &[
            "helm repo add prometheus-community https://prometheus-community.github.io/helm-charts",
            "helm install prometheus-operator-crds prometheus-community/prometheus-operator-crds",
        ],
        KEDA => &[
            "helm repo add kedacore https://kedacore.github.io/charts",
            "helm install keda kedacore/keda --namespace keda --create-namespace",
        ],
        EXTERNAL_SECRETS => &[
            "helm repo add external-secrets https://charts.external-secrets.io",
            "helm install external-secrets external-secrets/external-secrets --namespace external-secrets --create-namespace",
        ],
        VPA => &[
            "helm repo add fairwinds-stable https://charts.fairwinds.com/stable",
            "helm install vpa fairwinds-stable/vpa --namespace vpa --create-namespace",
        ],
        GATEWAY_API => &[
            "kubectl apply --server-side -f https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.2.1/standard-install.yaml",
        ],
        _ => &[],
    }
}

/// Every kind of object agentctl may render, one row each. An object whose kind is not here is
/// refused (a template's, a patch's or an extra object's). New kinds go at the end.
pub const KINDS: &[Kind] = &[
    served_by_api_server::<Namespace>(),
    served_by_api_server::<ConfigMap>(),
    served_by_api_server::<ServiceAccount>(),
    served_by_api_server::<PersistentVolumeClaim>(),
    served_by_api_server::<Service>(),
    served_by_api_server::<Deployment>(),
    served_by_api_server::<StatefulSet>(),
    served_by_api_server::<Role>(),
    served_by_api_server::<RoleBinding>(),
    served_by_api_server::<HorizontalPodAutoscaler>(),
    served_by_api_server::<PodDisruptionBudget>(),
    served_by_api_server::<NetworkPolicy>(),
    custom::<ServiceMonitor>(PROMETHEUS_OPERATOR),
    custom::<PrometheusRule>(PROMETHEUS_OPERATOR),
    served_by_api_server::<CronJob>(),
    served_by_api_server::<ResourceQuota>(),
    served_by_api_server::<LimitRange>(),
    custom::<VerticalPodAutoscaler>(VPA),
    custom::<ScaledObject>(KEDA),
    custom::<ExternalSecret>(EXTERNAL_SECRETS),
    served_by_api_server::<Ingress>(),
    custom::<HttpRoute>(GATEWAY_API),
    Kind {
        api: "kustomize.config.k8s.io/v1beta1",
        group: "kustomize.config.k8s.io",
        kind: "Kustomization",
        plural: "kustomizations",
        // kubectl reads it in the output directory; it names the namespace of everything else.
        scope: Scope::Namespaced,
        served: Served::Kubectl,
        through: through::<Kustomization>,
    },
    custom::<TriggerAuthentication>(KEDA),
];

/// One output file (a row of [`OBJECTS`]).
#[derive(Debug, Clone, Copy)]
pub struct Object {
    /// The file name in the output directory, and the template's name.
    pub file: &'static str,
    /// The template text (compiled into the binary).
    pub template: &'static str,
    /// Whether a configuration renders this file.
    pub when: fn(&Config) -> bool,
    /// The kinds of the objects its template may produce (a row of [`KINDS`] each).
    pub kinds: &'static [&'static Kind],
}

/// The row of [`KINDS`] for `kind`; a name that has none does not compile.
#[expect(
    clippy::panic,
    reason = "only evaluated at compile time, in OBJECTS: a kind without a row fails the build"
)]
const fn k(kind: &str) -> &'static Kind {
    let mut i = 0;
    while i < KINDS.len() {
        if eq(KINDS[i].kind.as_bytes(), kind.as_bytes()) {
            return &KINDS[i];
        }
        i += 1;
    }
    panic!("a kind the table of kinds does not have")
}

const fn eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

const fn always(_: &Config) -> bool {
    true
}

macro_rules! template {
    ($file:literal) => {
        include_str!(concat!("../../templates/", $file))
    };
}

/// Every output file, in apply order, `kustomization.yaml` last.
pub const OBJECTS: &[Object] = &[
    Object {
        file: "namespace.yaml",
        template: template!("namespace.yaml"),
        when: |c| c.create_namespace,
        kinds: &[k("Namespace")],
    },
    Object {
        file: "quota.yaml",
        template: template!("quota.yaml"),
        when: |c| c.quota_on(),
        kinds: &[k("ResourceQuota"), k("LimitRange")],
    },
    Object {
        file: "configmap.yaml",
        template: template!("configmap.yaml"),
        when: always,
        kinds: &[k("ConfigMap")],
    },
    Object {
        file: "externalsecret.yaml",
        template: template!("externalsecret.yaml"),
        when: |c| c.external_secret.enabled,
        kinds: &[k("ExternalSecret")],
    },
    Object {
        file: "rbac.yaml",
        template: template!("rbac.yaml"),
        when: always,
        kinds: &[k("ServiceAccount"), k("Role"), k("RoleBinding")],
    },
    Object {
        file: "pvc.yaml",
        template: template!("pvc.yaml"),
        when: |c| c.agent.storage.kind == DataVolume::PersistentVolumeClaim,
        kinds: &[k("PersistentVolumeClaim")],
    },
    Object {
        file: "redis-statefulset.yaml",
        template: template!("redis-statefulset.yaml"),
        when: |c| c.redis.enabled,
        kinds: &[k("StatefulSet"), k("Service")],
    },
    Object {
        file: "backup.yaml",
        template: template!("backup.yaml"),
        when: |c| c.backup_on(),
        kinds: &[
            k("ServiceAccount"),
            k("PersistentVolumeClaim"),
            k("CronJob"),
        ],
    },
    Object {
        file: "service.yaml",
        template: template!("service.yaml"),
        when: always,
        kinds: &[k("Service")],
    },
    Object {
        file: "deployment.yaml",
        template: template!("deployment.yaml"),
        when: always,
        kinds: &[k("Deployment")],
    },
    Object {
        file: "hpa.yaml",
        template: template!("hpa.yaml"),
        when: |c| c.autoscaling.enabled,
        kinds: &[k("HorizontalPodAutoscaler")],
    },
    Object {
        file: "scaledobject.yaml",
        template: template!("scaledobject.yaml"),
        when: |c| c.keda.enabled,
        kinds: &[k("TriggerAuthentication"), k("ScaledObject")],
    },
    Object {
        file: "vpa.yaml",
        template: template!("vpa.yaml"),
        when: |c| c.vpa.enabled,
        kinds: &[k("VerticalPodAutoscaler")],
    },
    Object {
        file: "pdb.yaml",
        template: template!("pdb.yaml"),
        when: |c| c.disruption_budget.enabled,
        kinds: &[k("PodDisruptionBudget")],
    },
    Object {
        file: "networkpolicy.yaml",
        template: template!("networkpolicy.yaml"),
        when: |c| c.network_policy.enabled,
        kinds: &[k("NetworkPolicy")],
    },
    Object {
        file: "servicemonitor.yaml",
        template: template!("servicemonitor.yaml"),
        when: |c| c.monitoring.service_monitor.enabled || c.redis_exporter_on(),
        kinds: &[k("ServiceMonitor")],
    },
    Object {
        file: "ingress.yaml",
        template: template!("ingress.yaml"),
        when: |c| c.ingress.enabled,
        kinds: &[k("Ingress")],
    },
    Object {
        file: "httproute.yaml",
        template: template!("httproute.yaml"),
        when: |c| c.http_route.enabled,
        kinds: &[k("HTTPRoute")],
    },
    Object {
        file: "prometheusrule.yaml",
        template: template!("prometheusrule.yaml"),
        when: |c| c.monitoring.alerts.enabled,
        kinds: &[k("PrometheusRule")],
    },
    Object {
        file: "dashboard-configmap.yaml",
        template: template!("dashboard-configmap.yaml"),
        when: |c| c.monitoring.dashboard.enabled,
        kinds: &[k("ConfigMap")],
    },
    Object {
        file: KUSTOMIZATION,
        template: template!("kustomization.yaml"),
        when: always,
        kinds: &[k("Kustomization")],
    },
];

/// The file kubectl reads (`kubectl apply -k`): the last row, listing the others.
pub const KUSTOMIZATION: &str = "kustomization.yaml";

/// The row of a kind, by `apiVersion` and `kind`.
pub fn kind(api: &str, kind: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.api == api && k.kind == kind)
}

/// The row of an output file.
pub fn object(file: &str) -> Option<&'static Object> {
    OBJECTS.iter().find(|o| o.file == file)
}

/// Whether the API server itself serves an object of this `apiVersion` and `kind` (and so
/// stores its quantities in canonical form).
pub fn built_in(api: &str, kind_name: &str) -> bool {
    kind(api, kind_name).is_some_and(|k| k.served == Served::BuiltIn)
}

#[cfg(test)]
mod tests;
