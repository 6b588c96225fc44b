//! The built-in kinds some supported Kubernetes versions serve that k8s-openapi's `v1_33`
//! no longer models: the group/versions removed between the floor (1.27) and the newest
//! version agentctl knows (1.33). From the Kubernetes deprecation guide: 1.29 stopped serving
//! `flowcontrol.apiserver.k8s.io/v1beta2`, 1.32 `flowcontrol.apiserver.k8s.io/v1beta3` (both
//! FlowSchema and PriorityLevelConfiguration); 1.30, 1.31 and 1.33 removed none; every other
//! removal (`autoscaling/v2beta2` in 1.26, `batch/v1beta1` and `policy/v1beta1` in 1.25,
//! `storage.k8s.io/v1beta1` CSIStorageCapacity in 1.27) predates the floor, so no supported
//! target serves it. Which targets serve each row is `k8s::version::served`, the one table of
//! lifecycles; a test holds this table and that one to each other.
//!
//! Each row goes through the `v1` type whose schema its own equals (v1beta2's
//! `assuredConcurrencyShares` is v1's `nominalConcurrencyShares`), its apiVersion kept.
//! Must not render or check anything: data only.

use anyhow::Result;
use k8s_openapi::Resource;
use k8s_openapi::api::flowcontrol::v1::{FlowSchema, PriorityLevelConfiguration};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value as J;

use crate::render::objects::{Kind, Scoped, Served};

/// The rows, in the order of the deprecation guide.
pub const REMOVED: &[Kind] = &[
    row::<FlowSchema>("flowcontrol.apiserver.k8s.io/v1beta2", via::<FlowSchema>),
    row::<PriorityLevelConfiguration>(
        "flowcontrol.apiserver.k8s.io/v1beta2",
        via_v1beta2_priority_level,
    ),
    row::<FlowSchema>("flowcontrol.apiserver.k8s.io/v1beta3", via::<FlowSchema>),
    row::<PriorityLevelConfiguration>(
        "flowcontrol.apiserver.k8s.io/v1beta3",
        via::<PriorityLevelConfiguration>,
    ),
];

/// The row of `T`'s kind at an older `api` version.
const fn row<T>(api: &'static str, through: fn(&J) -> Result<J>) -> Kind
where
    T: Resource,
    T::Scope: Scoped,
{
    Kind {
        api,
        group: T::GROUP,
        kind: T::KIND,
        plural: T::URL_PATH_SEGMENT,
        scope: <T::Scope as Scoped>::SCOPE,
        served: Served::BuiltIn,
        through,
    }
}

/// `doc` through `T` (the v1 type), its own apiVersion kept.
fn via<T: Resource + DeserializeOwned + Serialize>(doc: &J) -> Result<J> {
    let mut as_v1 = doc.clone();
    let api = as_v1.get("apiVersion").cloned();
    if let J::Object(m) = &mut as_v1 {
        m.insert("apiVersion".into(), J::String(T::API_VERSION.into()));
    }
    let mut back = crate::render::typed::through::<T>(&as_v1)?;
    if let (Some(api), J::Object(m)) = (api, &mut back) {
        m.insert("apiVersion".into(), api);
    }
    Ok(back)
}

/// v1beta2's PriorityLevelConfiguration: `spec.limited.assuredConcurrencyShares` is v1's
/// `nominalConcurrencyShares`.
fn via_v1beta2_priority_level(doc: &J) -> Result<J> {
    let rename = |doc: &mut J, from: &str, to: &str| {
        if let Some(J::Object(limited)) = doc.pointer_mut("/spec/limited")
            && let Some(v) = limited.remove(from)
        {
            limited.insert(to.into(), v);
        }
    };
    let mut d = doc.clone();
    rename(
        &mut d,
        "assuredConcurrencyShares",
        "nominalConcurrencyShares",
    );
    let mut back = via::<PriorityLevelConfiguration>(&d)?;
    rename(
        &mut back,
        "nominalConcurrencyShares",
        "assuredConcurrencyShares",
    );
    Ok(back)
}
