//! The reads behind `doctor`, into a [`Snapshot`]: discovery, APIServices, the custom pods
//! metric, StorageClasses, the Secrets the pods read (key names only: values are dropped as
//! soon as they arrive), PriorityClasses, RuntimeClasses, nodes, and the namespace's quotas, workloads,
//! autoscalers, pods, claims, events, endpoint slices and NetworkPolicies; the CRDs the user
//! listed (`crds:`).

use std::collections::BTreeSet;

use serde_json::Value as J;

use super::{Report, Snapshot, items, out_of_band_config_maps, pod_spec, s, secret_refs};
use crate::cluster::live::query_escape;
use crate::cluster::{Cluster, ClusterError};

impl Cluster {
    /// What `doctor` needs to know about the cluster for `objects` in `namespace`.
    pub fn snapshot(&self, objects: &[J], namespace: &str) -> Result<Snapshot, ClusterError> {
        let mut snap = Snapshot {
            now: Some(jiff::Timestamp::now()),
            ..Snapshot::default()
        };
        snap.served.insert("v1".into());
        if let Some(groups) = self.get_path("/apis", "list the API groups")? {
            for g in items(&groups, "/groups") {
                for v in items(g, "/versions") {
                    snap.served.insert(s(v, "/groupVersion").to_owned());
                }
            }
        }
        snap.api_services = self
            .list("apiregistration.k8s.io/v1", "APIService", None, None)?
            .unwrap_or_default();
        let metrics: BTreeSet<&str> = objects
            .iter()
            .filter(|o| s(o, "/kind") == "HorizontalPodAutoscaler")
            .flat_map(|h| items(h, "/spec/metrics"))
            .filter(|m| s(m, "/type") == "Pods")
            .map(|m| s(m, "/pods/metric/name"))
            .collect();
        for m in metrics {
            let path = format!(
                "/apis/custom.metrics.k8s.io/v1beta1/namespaces/{namespace}/pods/*/{}",
                query_escape(m)
            );
            let served = snap.served.contains("custom.metrics.k8s.io/v1beta1")
                && self
                    .get_path(&path, &format!("read the custom metric {m}"))?
                    .is_some();
            snap.pods_metrics.insert(m.to_owned(), served);
        }
        snap.storage_classes = self
            .list("storage.k8s.io/v1", "StorageClass", None, None)?
            .unwrap_or_default();
        for name in secret_refs(objects).into_keys() {
            let path = format!("/api/v1/namespaces/{namespace}/secrets/{name}");
            let keys = self
                .get_path(&path, &format!("get Secret {name}"))?
                .map(|secret| {
                    // Only the key names are kept; the values are dropped here.
                    ["data", "stringData"]
                        .iter()
                        .filter_map(|f| secret.get(*f).and_then(J::as_object))
                        .flat_map(|m| m.keys().cloned())
                        .collect::<BTreeSet<String>>()
                });
            snap.secrets.insert(name, keys);
        }
        for name in out_of_band_config_maps(objects).into_keys() {
            let path = format!("/api/v1/namespaces/{namespace}/configmaps/{name}");
            let keys = self
                .get_path(&path, &format!("get ConfigMap {name}"))?
                .map(|map| {
                    ["data", "binaryData"]
                        .iter()
                        .filter_map(|f| map.get(*f).and_then(J::as_object))
                        .flat_map(|m| m.keys().cloned())
                        .collect::<BTreeSet<String>>()
                });
            snap.config_maps.insert(name, keys);
        }
        let classes: BTreeSet<&str> = objects
            .iter()
            .filter_map(pod_spec)
            .map(|p| s(p, "/priorityClassName"))
            .filter(|c| !c.is_empty())
            .collect();
        for c in classes {
            let path = format!("/apis/scheduling.k8s.io/v1/priorityclasses/{c}");
            let exists = self
                .get_path(&path, &format!("get PriorityClass {c}"))?
                .is_some();
            snap.priority_classes.insert(c.to_owned(), exists);
        }
        let runtimes: BTreeSet<&str> = objects
            .iter()
            .filter_map(pod_spec)
            .map(|p| s(p, "/runtimeClassName"))
            .filter(|c| !c.is_empty())
            .collect();
        for c in runtimes {
            let path = format!("/apis/node.k8s.io/v1/runtimeclasses/{c}");
            let exists = self
                .get_path(&path, &format!("get RuntimeClass {c}"))?
                .is_some();
            snap.runtime_classes.insert(c.to_owned(), exists);
        }
        snap.nodes = self.list("v1", "Node", None, None)?.unwrap_or_default();
        let ns = Some(namespace);
        let list = |api: &str, kind: &str| -> Result<Vec<J>, ClusterError> {
            Ok(self.list(api, kind, ns, None)?.unwrap_or_default())
        };
        snap.quotas = list("v1", "ResourceQuota")?;
        snap.workloads = list("apps/v1", "Deployment")?;
        snap.workloads.extend(list("apps/v1", "StatefulSet")?);
        snap.autoscalers = list("autoscaling/v2", "HorizontalPodAutoscaler")?;
        snap.pods = list("v1", "Pod")?;
        snap.claims = list("v1", "PersistentVolumeClaim")?;
        snap.events = list("v1", "Event")?;
        snap.endpoint_slices = list("discovery.k8s.io/v1", "EndpointSlice")?;
        snap.network_policies = list("networking.k8s.io/v1", "NetworkPolicy")?;
        // Reading kube-system may be forbidden to a namespace-scoped user: then it is unknown.
        snap.system_daemonsets = self
            .list("apps/v1", "DaemonSet", Some("kube-system"), None)
            .ok()
            .flatten();
        Ok(snap)
    }

    /// `doctor`'s report for the rendered `objects` in `namespace`.
    /// `expect`: the labels an existing namespace must carry (`createNamespace: false`).
    /// `listed`: the CRDs the user listed (`crds:`), each looked up in the cluster.
    pub fn doctor(
        &self,
        objects: &[J],
        namespace: &str,
        expect: &std::collections::BTreeMap<String, String>,
        listed: &[std::sync::Arc<crate::input::crds::Crd>],
        render_with: super::RenderWith,
    ) -> Result<Report, ClusterError> {
        let mut snap = self.snapshot(objects, namespace)?;
        for c in listed {
            let crd = super::ListedCrd::of(c);
            // Forbidden (a namespace-scoped user) or unanswered: unknown, a note.
            let live = self
                .get_path(
                    &format!(
                        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{}",
                        crd.name
                    ),
                    &format!("get CustomResourceDefinition {}", crd.name),
                )
                .ok()
                .map(|found| {
                    found.map(|d| {
                        items(&d, "/spec/versions")
                            .filter(|v| v.get("served").and_then(J::as_bool) == Some(true))
                            .map(|v| s(v, "/name").to_owned())
                            .collect::<Vec<String>>()
                    })
                });
            snap.listed_crds.push((crd, live));
        }
        if !expect.is_empty() {
            // Reading a Namespace needs a cluster-wide permission: forbidden is "unknown".
            snap.namespace_labels = self
                .get_path(
                    &format!("/api/v1/namespaces/{namespace}"),
                    &format!("get Namespace {namespace}"),
                )
                .ok()
                .map(|ns| {
                    ns.map(|ns| {
                        ns.pointer("/metadata/labels")
                            .and_then(J::as_object)
                            .into_iter()
                            .flatten()
                            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                            .collect()
                    })
                });
        }
        Ok(super::examine_in(
            objects,
            namespace,
            expect,
            &snap,
            render_with,
        ))
    }
}
