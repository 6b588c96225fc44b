//! What a CSI volume needs before its pods start: the driver on the nodes (a `csi` volume
//! names it), and for the Secrets Store CSI Driver the SecretProviderClass the volume names
//! (rendered as an extra object, or created out of band) and its provider. The Secrets a
//! SecretProviderClass syncs (`secretObjects`) are created by the driver, as an ExternalSecret's
//! are by its operator: [`synced`] says which, so they are not listed as created out of band.

use std::collections::BTreeMap;

use serde_json::Value as J;

use super::{Need, join, name};
use crate::k8s::object::{self, field_str, items};

const SECRETS_STORE: &str = "secrets-store.csi.k8s.io";

/// The SecretProviderClasses of the objects, by the Secrets they sync (`secretObjects`).
pub(super) fn synced(objects: &[J]) -> BTreeMap<&str, &J> {
    objects
        .iter()
        .filter(|o| field_str(o, "/kind") == "SecretProviderClass")
        .flat_map(|o| {
            items(o, "/spec/secretObjects").map(move |s| (field_str(s, "/secretName"), o))
        })
        .filter(|(s, _)| !s.is_empty())
        .collect()
}

/// The need of a Secret a SecretProviderClass syncs.
pub(super) fn synced_need(secret: &str, spc: &J, keys: &[String]) -> Need {
    let provider = field_str(spc, "/spec/provider");
    Need {
        what: format!(
            "the Secrets Store CSI Driver with secret sync (`syncSecret.enabled=true`) and its {provider} provider"
        ),
        because: format!(
            "SecretProviderClass {} syncs Secret {secret}{} while a pod mounts it; the pods read it",
            name(spc),
            if keys.is_empty() {
                String::new()
            } else {
                format!(" (keys {})", join(keys.iter().cloned()))
            }
        ),
        commands: Vec::new(),
    }
}

/// The CSI drivers the pods' volumes use, and the SecretProviderClasses they name.
pub(super) fn needs(objects: &[J], out: &mut Vec<Need>) {
    // driver -> the workloads (`Kind name`) mounting through it; class -> workloads.
    let mut drivers: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut classes: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for o in objects {
        let Some(spec) = object::pod_spec(o) else {
            continue;
        };
        let who = format!("{} {}", field_str(o, "/kind"), name(o));
        for v in items(spec, "/volumes") {
            let driver = field_str(v, "/csi/driver");
            if driver.is_empty() {
                continue;
            }
            let users = drivers.entry(driver.to_owned()).or_default();
            if !users.contains(&who) {
                users.push(who.clone());
            }
            let class = field_str(v, "/csi/volumeAttributes/secretProviderClass");
            if driver == SECRETS_STORE && !class.is_empty() {
                let users = classes.entry(class.to_owned()).or_default();
                if !users.contains(&who) {
                    users.push(who.clone());
                }
            }
        }
    }
    let rendered = |class: &str| {
        objects
            .iter()
            .find(|o| field_str(o, "/kind") == "SecretProviderClass" && object::name(o) == class)
    };
    for (driver, users) in &drivers {
        let (what, providers) = if driver == SECRETS_STORE {
            let providers: Vec<String> = classes
                .keys()
                .filter_map(|c| rendered(c))
                .map(|spc| field_str(spc, "/spec/provider").to_owned())
                .filter(|p| !p.is_empty())
                .collect();
            ("the Secrets Store CSI Driver", providers)
        } else {
            ("the CSI driver", Vec::new())
        };
        out.push(Need {
            what: format!(
                "{what} `{driver}` installed on the nodes{}",
                if providers.is_empty() {
                    String::new()
                } else {
                    format!(", with its {} provider", join(providers))
                }
            ),
            because: format!(
                "{} {} a CSI volume through it; without it the pods stay in ContainerCreating",
                join(users.iter().cloned()),
                if users.len() == 1 { "mounts" } else { "mount" }
            ),
            commands: Vec::new(),
        });
    }
    for (class, users) in &classes {
        if rendered(class).is_none() {
            out.push(Need {
                what: format!("SecretProviderClass {class}, created out of band"),
                because: format!(
                    "{} {} it through the Secrets Store CSI Driver; without it the pods stay in ContainerCreating",
                    join(users.iter().cloned()),
                    if users.len() == 1 { "mounts" } else { "mount" }
                ),
                commands: Vec::new(),
            });
        }
    }
}
