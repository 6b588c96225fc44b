//! The target Kubernetes version (`kubeVersion`, `--kube-version`): readable and supported,
//! located at the layer that set it. The gates of single settings on that version (a typed
//! setting a version lacks) call [`crate::k8s::version::KubeVersion::supports`] in their own
//! group and say [`crate::k8s::version::Feature::refusal`]; what patches and extra objects
//! add is gated over the final objects (`render::version`).

use super::Checker;
use crate::config::Config;
use crate::k8s::version::{FLOOR, KubeVersion, NEWEST};

/// `kubeVersion` reads as a version from [`FLOOR`] to [`NEWEST`].
pub(super) fn kube_version(k: &mut Checker, c: &Config) {
    let problem = KubeVersion::parse(&c.kube_version).and_then(KubeVersion::in_range);
    if let Err(message) = problem {
        k.fail(
            "kubeVersion",
            message,
            Some(format!(
                "target a version from {FLOOR} (the oldest supported) to {NEWEST} (the newest agentctl knows), e.g. `--kube-version {NEWEST}`; a newer cluster runs what agentctl renders for {NEWEST}"
            )),
        );
    }
}
