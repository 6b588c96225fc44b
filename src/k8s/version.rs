//! The Kubernetes version a render targets (`--kube-version`, `kubeVersion:`), and what each
//! version can run: the one table of the features agentctl renders, or a patch may add, that
//! not every supported version has, each with the first version that runs it without a feature
//! gate (beta enabled by default, or GA).
//!
//! Why a table and not the API server's discovery: a render is made offline (CI, an Argo CD
//! plugin, a laptop), for a cluster it may never reach; what it may use is decided by the
//! version alone, as `kubectl` and the API server of that version decide it. The versions
//! agentctl knows run from [`FLOOR`] (the oldest supported) to [`NEWEST`] (the newest the
//! typed round trip and the conformance `kubectl.1.xx` binaries cover); outside that range a
//! version is refused, never guessed.
//!
//! Use: `cfg.kube_version()` (the target, parsed) then `v.supports(Feature::NativeSidecars)`;
//! when it does not, [`Feature::refusal`] is the message and [`Feature::help`] the fix, so
//! every gate says the same thing.
//!
//! Every group/version agentctl renders is served over the whole range (`apps/v1`,
//! `batch/v1`, `policy/v1` since 1.21, `autoscaling/v2` since 1.23, `networking.k8s.io/v1`
//! since 1.19, none removed through [`NEWEST`]), so the target changes what is refused, not the
//! API versions written; [`served`] holds the removed and the new built-in group/versions an
//! extra object may name.

use std::fmt;

/// A Kubernetes minor version (`1.29`): all a render depends on (patch releases add no API).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KubeVersion {
    minor: u32,
}

/// The oldest supported version, the default target.
pub const FLOOR: KubeVersion = KubeVersion::new(27);

/// The newest version agentctl knows (its typed objects are k8s-openapi's `v1_33`, and the
/// conformance run checks with `kubectl.1.27` … `kubectl.1.33`).
pub const NEWEST: KubeVersion = KubeVersion::new(33);

impl KubeVersion {
    /// `1.<minor>`.
    pub const fn new(minor: u32) -> Self {
        KubeVersion { minor }
    }

    /// The minor number (`29` for 1.29).
    pub fn minor(self) -> u32 {
        self.minor
    }

    /// Reads a version as people and tools write it: `1.29`, `v1.29`, `1.29.3`,
    /// `v1.29.3-eks-4f4795d`, `1.29+` (a cloud's `kubectl version`), Argo CD's `KUBE_VERSION`.
    /// Only the minor counts. The range is not checked here ([`KubeVersion::in_range`]).
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "`{text}` is not a Kubernetes version: expected MAJOR.MINOR such as `{FLOOR}` (a `v` prefix, a patch and a build suffix are accepted)"
            )
        };
        let t = text.trim();
        let t = t.strip_prefix('v').unwrap_or(t);
        let core = t.split(['-', '+']).next().unwrap_or_default();
        let mut parts = core.split('.');
        let number = |p: Option<&str>| -> Option<u32> {
            let p = p?;
            if p.is_empty() || p.len() > 4 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            p.parse().ok()
        };
        let major = number(parts.next()).ok_or_else(bad)?;
        let minor = number(parts.next()).ok_or_else(bad)?;
        if let Some(patch) = parts.next() {
            number(Some(patch)).ok_or_else(bad)?;
        }
        if parts.next().is_some() {
            return Err(bad());
        }
        if major != 1 {
            return Err(format!(
                "Kubernetes {major}.{minor} does not exist: agentctl supports {FLOOR} to {NEWEST}"
            ));
        }
        Ok(KubeVersion { minor })
    }

    /// `Err(message)` when agentctl does not support the version: below [`FLOOR`] or newer than
    /// [`NEWEST`].
    pub fn in_range(self) -> Result<(), String> {
        if self < FLOOR {
            Err(format!(
                "Kubernetes {self} is below the oldest supported version, {FLOOR}"
            ))
        } else if self > NEWEST {
            Err(format!(
                "Kubernetes {self} is newer than the newest version agentctl knows, {NEWEST}"
            ))
        } else {
            Ok(())
        }
    }

    /// Whether a cluster of this version runs `feature` without a feature gate.
    pub fn supports(self, feature: Feature) -> bool {
        feature.since().is_some_and(|since| self >= since)
    }
}

impl fmt::Display for KubeVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "1.{}", self.minor)
    }
}

/// A feature some supported versions lack. The version is the first where it is on without a
/// feature gate (beta enabled by default, or GA); `None` where that is newer than [`NEWEST`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Feature {
    /// Native sidecars: an init container with `restartPolicy: Always` (KEP-753; beta on by
    /// default 1.29, GA 1.33). Older API servers drop the field: the container then blocks
    /// the pod's start forever.
    NativeSidecars,
    /// The `sleep` lifecycle hook (`preStop: {sleep: {seconds: N}}`, KEP-3960; beta 1.30).
    SleepAction,
    /// `securityContext.appArmorProfile` (KEP-24; GA 1.30; before it, an annotation).
    AppArmorProfile,
    /// A Service's `trafficDistribution` (KEP-4444; beta 1.31, GA 1.33).
    TrafficDistribution,
    /// `recursiveReadOnly` on a volume mount (KEP-3857; beta 1.31).
    RecursiveReadOnlyMounts,
    /// `matchLabelKeys`/`mismatchLabelKeys` in pod (anti-)affinity terms (KEP-3633; beta 1.31).
    AffinityMatchLabelKeys,
    /// A Job's `successPolicy` (KEP-3998; beta 1.31).
    JobSuccessPolicy,
    /// A Job's `backoffLimitPerIndex` (KEP-3850; beta 1.29).
    JobBackoffLimitPerIndex,
    /// A Job's `managedBy` (KEP-4368; beta 1.32).
    JobManagedBy,
    /// In-place pod resize: a container's `resizePolicy` (KEP-1287; beta 1.33).
    InPlacePodResize,
    /// User namespaces: a pod's `hostUsers: false` (KEP-127; beta on by default 1.33).
    UserNamespaces,
    /// `securityContext.supplementalGroupsPolicy` (KEP-3619; beta 1.33).
    SupplementalGroupsPolicy,
    /// Pod-level `resources` (KEP-2837; alpha 1.32, beta on by default 1.34: newer than
    /// [`NEWEST`]).
    PodLevelResources,
    /// An `image` volume (KEP-4639; alpha 1.31, beta off by default 1.33).
    ImageVolume,
    /// A container's `lifecycle.stopSignal` (KEP-4960; alpha 1.33).
    ContainerStopSignal,
    /// A CronJob's `timeZone` (KEP-3140; GA 1.27: every supported version).
    CronJobTimeZone,
    /// A PodDisruptionBudget's `unhealthyPodEvictionPolicy` (KEP-3017; beta on by default
    /// 1.27, GA 1.31: every supported version).
    UnhealthyPodEvictionPolicy,
}

impl Feature {
    /// Every feature, for tables and tests.
    pub const ALL: &'static [Feature] = &[
        Feature::NativeSidecars,
        Feature::SleepAction,
        Feature::AppArmorProfile,
        Feature::TrafficDistribution,
        Feature::RecursiveReadOnlyMounts,
        Feature::AffinityMatchLabelKeys,
        Feature::JobSuccessPolicy,
        Feature::JobBackoffLimitPerIndex,
        Feature::JobManagedBy,
        Feature::InPlacePodResize,
        Feature::UserNamespaces,
        Feature::SupplementalGroupsPolicy,
        Feature::PodLevelResources,
        Feature::ImageVolume,
        Feature::ContainerStopSignal,
        Feature::CronJobTimeZone,
        Feature::UnhealthyPodEvictionPolicy,
    ];

    /// The first version that runs it without a feature gate; `None`: no version agentctl
    /// knows does.
    pub fn since(self) -> Option<KubeVersion> {
        let minor = match self {
            Feature::CronJobTimeZone | Feature::UnhealthyPodEvictionPolicy => 27,
            Feature::NativeSidecars | Feature::JobBackoffLimitPerIndex => 29,
            Feature::SleepAction | Feature::AppArmorProfile => 30,
            Feature::TrafficDistribution
            | Feature::RecursiveReadOnlyMounts
            | Feature::AffinityMatchLabelKeys
            | Feature::JobSuccessPolicy => 31,
            Feature::JobManagedBy => 32,
            Feature::InPlacePodResize
            | Feature::UserNamespaces
            | Feature::SupplementalGroupsPolicy => 33,
            // Beta on by default from 1.34, 1.35, and alpha in 1.33: beyond [`NEWEST`].
            Feature::PodLevelResources | Feature::ImageVolume | Feature::ContainerStopSignal => {
                return None;
            }
        };
        Some(KubeVersion::new(minor))
    }

    /// The version it needs, as the messages say it (`1.29`; beyond [`NEWEST`], the gate).
    fn needs(self) -> String {
        match self.since() {
            Some(v) => format!("Kubernetes {v}"),
            None => format!(
                "a feature gate in every Kubernetes version agentctl knows (up to {NEWEST})"
            ),
        }
    }

    /// What it is, as the messages name it.
    pub fn title(self) -> &'static str {
        match self {
            Feature::NativeSidecars => {
                "native sidecars (an init container with restartPolicy: Always)"
            }
            Feature::SleepAction => "the sleep lifecycle hook",
            Feature::AppArmorProfile => "securityContext.appArmorProfile",
            Feature::TrafficDistribution => "a Service's trafficDistribution",
            Feature::RecursiveReadOnlyMounts => "recursiveReadOnly volume mounts",
            Feature::AffinityMatchLabelKeys => "matchLabelKeys/mismatchLabelKeys in pod affinity",
            Feature::JobSuccessPolicy => "a Job's successPolicy",
            Feature::JobBackoffLimitPerIndex => "a Job's backoffLimitPerIndex",
            Feature::JobManagedBy => "a Job's managedBy",
            Feature::InPlacePodResize => "in-place pod resize (resizePolicy)",
            Feature::UserNamespaces => "user namespaces (hostUsers: false)",
            Feature::SupplementalGroupsPolicy => "securityContext.supplementalGroupsPolicy",
            Feature::PodLevelResources => "pod-level resources (spec.resources)",
            Feature::ImageVolume => "image volumes",
            Feature::ContainerStopSignal => "a container's lifecycle.stopSignal",
            Feature::CronJobTimeZone => "a CronJob's timeZone",
            Feature::UnhealthyPodEvictionPolicy => {
                "a PodDisruptionBudget's unhealthyPodEvictionPolicy"
            }
        }
    }

    /// The refusal, for a target that lacks it: `native sidecars (…) need Kubernetes 1.29;
    /// the target is 1.27`.
    pub fn refusal(self, target: KubeVersion) -> String {
        format!(
            "{} needs {}; the target is {target}",
            self.title(),
            self.needs()
        )
    }

    /// The fix, for a target that lacks it.
    pub fn help(self) -> String {
        match self.since() {
            Some(v) => format!(
                "if the cluster runs {v} or newer, say so: `--kube-version {v}` (or `kubeVersion: \"{v}\"` in the project environment or an override file); else remove it"
            ),
            None => format!(
                "no Kubernetes version agentctl supports ({FLOOR} to {NEWEST}) runs it without a feature gate: remove it"
            ),
        }
    }
}

/// Built-in group/versions some supported versions do not serve: `(apiVersion, kind, first
/// served without a gate, first not served)`. agentctl renders none of them; an extra object
/// may name one.
const LIFECYCLE: &[(&str, &str, Option<u32>, Option<u32>)] = &[
    ("flowcontrol.apiserver.k8s.io/v1beta2", "", None, Some(29)),
    ("flowcontrol.apiserver.k8s.io/v1beta3", "", None, Some(32)),
    ("flowcontrol.apiserver.k8s.io/v1", "", Some(29), None),
    // Beta group/versions are off by default (since 1.24): behind a gate.
    (
        "admissionregistration.k8s.io/v1beta1",
        "ValidatingAdmissionPolicy",
        None,
        None,
    ),
    (
        "admissionregistration.k8s.io/v1beta1",
        "ValidatingAdmissionPolicyBinding",
        None,
        None,
    ),
    (
        "admissionregistration.k8s.io/v1",
        "ValidatingAdmissionPolicy",
        Some(30),
        None,
    ),
    (
        "admissionregistration.k8s.io/v1",
        "ValidatingAdmissionPolicyBinding",
        Some(30),
        None,
    ),
    ("autoscaling/v2beta2", "", None, Some(26)),
    ("autoscaling/v2beta1", "", None, Some(25)),
    ("batch/v1beta1", "", None, Some(25)),
    ("policy/v1beta1", "", None, Some(25)),
    ("networking.k8s.io/v1beta1", "Ingress", None, Some(22)),
    ("networking.k8s.io/v1beta1", "IngressClass", None, Some(22)),
    (
        "storage.k8s.io/v1beta1",
        "CSIStorageCapacity",
        None,
        Some(27),
    ),
    ("resource.k8s.io/v1beta1", "", None, None),
    ("resource.k8s.io/v1alpha3", "", None, None),
    ("coordination.k8s.io/v1alpha2", "", None, None),
    (
        "storage.k8s.io/v1beta1",
        "VolumeAttributesClass",
        None,
        None,
    ),
];

/// The row of `kind` at `api_version` (a row naming the kind over one for the whole
/// group/version).
fn lifecycle(
    api_version: &str,
    kind: &str,
) -> Option<&'static (&'static str, &'static str, Option<u32>, Option<u32>)> {
    LIFECYCLE
        .iter()
        .filter(|(a, k, _, _)| *a == api_version && (k.is_empty() || *k == kind))
        .max_by_key(|(_, k, _, _)| k.len())
}

/// The first version that no longer serves `kind` at `api_version` (`1.29` for
/// `flowcontrol.apiserver.k8s.io/v1beta2`); `None`: still served, or not a built-in
/// group/version this table knows. The same table as [`served`].
pub fn removed_in(api_version: &str, kind: &str) -> Option<KubeVersion> {
    lifecycle(api_version, kind)
        .and_then(|r| r.3)
        .map(KubeVersion::new)
}

/// Every removal the table knows: `(apiVersion, kind or "" for the whole group/version, the
/// first version that no longer serves it)`, for the tests that hold the tables of kinds to
/// this one.
pub fn removals() -> impl Iterator<Item = (&'static str, &'static str, KubeVersion)> {
    LIFECYCLE
        .iter()
        .filter_map(|&(a, k, _, until)| until.map(|u| (a, k, KubeVersion::new(u))))
}

/// Whether a cluster of version `v` serves `kind` at `api_version`: `Err(message)` for a
/// built-in group/version it does not (removed, or not yet on without a gate). Custom
/// resources and group/versions not in the table are the cluster's to answer (`Ok`).
pub fn served(api_version: &str, kind: &str, v: KubeVersion) -> Result<(), String> {
    let Some(&(_, _, from, until)) = lifecycle(api_version, kind) else {
        return Ok(());
    };
    if let Some(until) = until.map(KubeVersion::new)
        && v >= until
    {
        return Err(format!(
            "{api_version} {kind} is not served since Kubernetes {until}; the target is {v}"
        ));
    }
    match from.map(KubeVersion::new) {
        None if until.is_none() => Err(format!(
            "{api_version} {kind} is behind a feature gate in every version agentctl knows; the target is {v}"
        )),
        Some(from) if v < from => Err(format!(
            "{api_version} {kind} is served from Kubernetes {from}; the target is {v}"
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_as_tools_write_them() {
        for (text, minor) in [
            ("1.29", 29),
            ("v1.29", 29),
            ("1.29.3", 29),
            ("v1.30.2-eks-1552ad0", 30),
            ("1.28+", 28),
            (" 1.33 ", 33),
            ("1.26", 26),
        ] {
            assert_eq!(
                KubeVersion::parse(text),
                Ok(KubeVersion::new(minor)),
                "{text}"
            );
        }
        for bad in [
            "", "1", "1.", "1.x", "one.two", "1.29.3.4", "1.-2", "v", "+1.29", "1.29 .3",
        ] {
            let e = KubeVersion::parse(bad).unwrap_err();
            assert!(e.contains("is not a Kubernetes version"), "{bad}: {e}");
        }
        assert!(
            KubeVersion::parse("2.0")
                .unwrap_err()
                .contains("does not exist")
        );
    }

    #[test]
    fn the_range_is_floor_to_newest() {
        assert_eq!(FLOOR.to_string(), "1.27");
        assert!(FLOOR.in_range().is_ok() && NEWEST.in_range().is_ok());
        let low = KubeVersion::new(26).in_range().unwrap_err();
        assert!(
            low.contains("below the oldest supported version, 1.27"),
            "{low}"
        );
        let high = KubeVersion::new(34).in_range().unwrap_err();
        assert!(
            high.contains("newer than the newest version agentctl knows, 1.33"),
            "{high}"
        );
    }

    #[test]
    fn features_by_version() {
        let v = |m| KubeVersion::new(m);
        assert!(!v(28).supports(Feature::NativeSidecars));
        assert!(v(29).supports(Feature::NativeSidecars));
        assert!(v(27).supports(Feature::CronJobTimeZone));
        assert!(!NEWEST.supports(Feature::PodLevelResources));
        assert!(!v(32).supports(Feature::InPlacePodResize));
        assert!(v(33).supports(Feature::InPlacePodResize));
        // Every feature is either on somewhere in the range or named as beyond it.
        for f in Feature::ALL {
            match f.since() {
                Some(s) => assert!(s.in_range().is_ok(), "{f:?}"),
                None => assert!(f.refusal(NEWEST).contains("(up to 1.33)"), "{f:?}"),
            }
        }
        assert_eq!(
            Feature::NativeSidecars.refusal(v(27)),
            "native sidecars (an init container with restartPolicy: Always) needs Kubernetes 1.29; the target is 1.27"
        );
        assert!(
            Feature::NativeSidecars
                .help()
                .contains("--kube-version 1.29")
        );
    }

    #[test]
    fn group_versions_served() {
        let v = |m| KubeVersion::new(m);
        assert!(served("apps/v1", "Deployment", v(27)).is_ok());
        assert!(served("example.com/v1", "Widget", v(27)).is_ok());
        let gone = served("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema", v(32)).unwrap_err();
        assert!(gone.contains("not served since Kubernetes 1.32"), "{gone}");
        assert!(served("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema", v(31)).is_ok());
        let early = served("flowcontrol.apiserver.k8s.io/v1", "FlowSchema", v(28)).unwrap_err();
        assert!(early.contains("served from Kubernetes 1.29"), "{early}");
        assert!(
            served(
                "admissionregistration.k8s.io/v1",
                "ValidatingAdmissionPolicy",
                v(29)
            )
            .is_err()
        );
        assert!(
            served(
                "admissionregistration.k8s.io/v1",
                "ValidatingWebhookConfiguration",
                v(27)
            )
            .is_ok()
        );
        assert!(served("policy/v1beta1", "PodDisruptionBudget", v(27)).is_err());
    }
}
