//! Quota fitting: what the rendered system needs from its namespace's ResourceQuota at its
//! maximum scale, the quota derived from it, and the shortfalls of a quota set by hand.
//!
//! Pure arithmetic on Kubernetes quantities (std only; no configuration types, no I/O): the
//! caller lists the workloads with their pod counts at maximum scale (replicas at their maximum
//! plus rolling-update surge, single pods, one ad-hoc pod) and each pod's summed container
//! requests and limits; [`fit`] returns the `spec.hard` map of `agent-quota`. An unset figure is
//! derived: at least the guide's example (`requests.cpu: 20`, `requests.memory: 40Gi`,
//! `persistentvolumeclaims: 10`) and never below the need, rounded up to whole cores and Gi. A
//! figure set by hand below the need is a [`Shortfall`] that names both numbers, the breakdown,
//! and the fix (raise it, unset it, or the largest `agent.replicas.max` that fits).
//! [`inputs`] reads those workloads off a [`Config`]: a new pod or sidecar must be added there.

use std::collections::BTreeMap;

use super::{Config, IntOrPercent, Resources};
use crate::k8s::quantity::{self, Quantity};
use crate::k8s::scale;

/// The setting of `agent-quota` that sets the `spec.hard` figure `resource` (`requests.cpu` →
/// `quota.requestsCpu`): the one table validation, the stall explanation and `doctor` quote.
pub fn setting_of(resource: &str) -> Option<&'static str> {
    Some(match resource {
        "requests.cpu" => "quota.requestsCpu",
        "requests.memory" => "quota.requestsMemory",
        "limits.cpu" => "quota.limitsCpu",
        "limits.memory" => "quota.limitsMemory",
        "requests.storage" => "quota.requestsStorage",
        "pods" => "quota.pods",
        "persistentvolumeclaims" => "quota.persistentVolumeClaims",
        _ => return None,
    })
}

/// The workloads, volumes and hand-set figures of a configuration, as [`fit`] takes them.
// Long on purpose: lists the workloads one by one as the templates render them (agent, Redis,
// backup job, ad-hoc pod) so a reader can compare it with the templates.
pub fn inputs(cfg: &Config) -> (Vec<Workload>, Volumes, Requested) {
    let pod = |containers: &[&Resources]| PodResources {
        requests_cpu: containers.iter().map(|r| r.requests.cpu.clone()).collect(),
        requests_memory: containers
            .iter()
            .map(|r| r.requests.memory.clone())
            .collect(),
        limits_cpu: containers
            .iter()
            .filter_map(|r| r.limits.cpu.clone())
            .collect(),
        limits_memory: containers.iter().map(|r| r.limits.memory.clone()).collect(),
    };
    let scaled = cfg.autoscaling.enabled || cfg.keda.enabled;
    let replicas = u64::from(if scaled {
        cfg.agent.replicas.max
    } else {
        cfg.agent.replicas.min
    });
    let surge = match &cfg.agent.rolling_update.max_surge {
        IntOrPercent::Int(n) => Surge::Pods(u64::from(*n)),
        IntOrPercent::Percent(p) => Surge::Percent(p.trim_end_matches('%').parse().unwrap_or(0)),
    };
    let extra = surge.pods(replicas);
    let mut workloads = vec![Workload {
        name: "agent".into(),
        pods: replicas + extra,
        why: format!(
            "{replicas} {} replicas{} + {extra} surge",
            if scaled { "max" } else { "fixed" },
            // Scale to zero lowers the fewest pods, never the most the quota must hold.
            if cfg.keda.enabled && cfg.keda.idle_replica_count == Some(0) {
                " (0 while idle)"
            } else {
                ""
            }
        ),
        // The sidecars (native or not) run beside the agent for the pod's life; init
        // containers count only while they run, which the recount from the final objects
        // (`k8s::pod::usage`) takes into account.
        per_pod: pod(&std::iter::once(&cfg.agent.resources)
            .chain(cfg.agent.sidecars.values().map(|c| &c.resources))
            .collect::<Vec<_>>()),
        surge: Some(surge),
    }];
    if cfg.redis.enabled {
        workloads.push(Workload {
            name: "redis".into(),
            pods: 1,
            why: String::new(),
            per_pod: if cfg.redis_exporter_on() {
                pod(&[
                    &cfg.redis.resources,
                    &cfg.monitoring.redis_exporter.resources,
                ])
            } else {
                pod(&[&cfg.redis.resources])
            },
            surge: None,
        });
    }
    if cfg.backup_on() {
        workloads.push(Workload {
            name: "backup job".into(),
            pods: 1,
            why: String::new(),
            per_pod: pod(&[&cfg.backup.resources]),
            surge: None,
        });
    }
    let lr = &cfg.quota.limit_range;
    let adhoc = Resources {
        requests: lr.default_request.clone(),
        limits: super::Limits {
            cpu: Some(lr.default.cpu.clone()),
            memory: lr.default.memory.clone(),
            ephemeral_storage: lr.default.ephemeral_storage.clone(),
        },
    };
    workloads.push(Workload {
        name: "ad-hoc pod".into(),
        pods: 1,
        why: String::new(),
        per_pod: pod(&[&adhoc]),
        surge: None,
    });
    let (mut sizes, mut names) = (Vec::new(), Vec::new());
    let objects = super::Names::of(cfg);
    // An `emptyDir` agent volume is node-local scratch space, not a claim.
    if cfg.agent.storage.kind == crate::config::DataVolume::PersistentVolumeClaim {
        sizes.push(cfg.agent.storage.size.clone());
        names.push(objects.get("agent-data-pvc"));
    }
    // An `emptyDir` Redis volume is node-local scratch space, not a claim.
    if cfg.redis.enabled
        && cfg.redis.storage.kind == crate::config::RedisVolume::PersistentVolumeClaim
    {
        sizes.push(cfg.redis.storage.size.clone());
        names.push(objects.redis_claim(0));
    }
    if cfg.backup_on() {
        sizes.push(cfg.backup.storage.size.clone());
        names.push(objects.get("redis-backup-pvc"));
    }
    let q = &cfg.quota;
    let set = Requested {
        requests_cpu: q.requests_cpu.clone(),
        requests_memory: q.requests_memory.clone(),
        limits_cpu: q.limits_cpu.clone(),
        limits_memory: q.limits_memory.clone(),
        requests_storage: q.requests_storage.clone(),
        pods: q.pods.map(u64::from),
        persistent_volume_claims: q.persistent_volume_claims.map(u64::from),
        no_limits_cpu: !cpu_unlimited(cfg).is_empty(),
    };
    (workloads, Volumes { sizes, names }, set)
}

/// One kind of pod and how many of it can run at once at maximum scale.
#[derive(Debug, Clone, PartialEq)]
pub struct Workload {
    /// Short name used in messages: `agent`, `redis`, `backup job`, `ad-hoc pod`.
    pub name: String,
    /// Pods of this kind that can exist at once at maximum scale (replicas + surge).
    pub pods: u64,
    /// Why that many, for messages, e.g. `50 max replicas + 1 surge`. Empty: not shown.
    pub why: String,
    /// One pod's summed container requests and limits, as quantities (`500m`, `1Gi`).
    pub per_pod: PodResources,
    /// For the scalable workload (the agent): its rolling-update surge, to suggest the largest
    /// maximum replica count that fits a given quota. `None` for fixed workloads.
    pub surge: Option<Surge>,
}

/// Rolling-update surge: pods, or a percentage of the replicas (rounded up, as Kubernetes does).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surge {
    /// An absolute number of extra pods.
    Pods(u64),
    /// A percentage of the desired replicas.
    Percent(u64),
}

impl Surge {
    /// Extra pods during a rolling update of `replicas` replicas.
    pub fn pods(self, replicas: u64) -> u64 {
        match self {
            Surge::Pods(n) => n,
            Surge::Percent(p) => {
                let of = i64::try_from(replicas).unwrap_or(i64::MAX);
                let p = i64::try_from(p).unwrap_or(i64::MAX);
                u64::try_from(scale::IntOrPercent::Percent(p).resolve(of, true)).unwrap_or(0)
            }
        }
    }
}

/// One pod's requests and limits, each the sum over its containers, as quantity strings.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PodResources {
    /// Summed CPU requests.
    pub requests_cpu: Vec<String>,
    /// Summed memory requests.
    pub requests_memory: Vec<String>,
    /// Summed CPU limits.
    pub limits_cpu: Vec<String>,
    /// Summed memory limits.
    pub limits_memory: Vec<String>,
}

/// What the deployment's volumes need.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Volumes {
    /// Requested sizes of every PersistentVolumeClaim (StatefulSet claims once per replica).
    pub sizes: Vec<String>,
    /// Their names, in the same order.
    pub names: Vec<String>,
}

/// Figures set by hand (`None`: derive). Quantities as the user wrote them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Requested {
    /// `requests.cpu`.
    pub requests_cpu: Option<String>,
    /// `requests.memory`.
    pub requests_memory: Option<String>,
    /// `limits.cpu`.
    pub limits_cpu: Option<String>,
    /// `limits.memory`.
    pub limits_memory: Option<String>,
    /// `requests.storage` (not rendered unless set).
    pub requests_storage: Option<String>,
    /// `pods`.
    pub pods: Option<u64>,
    /// `persistentvolumeclaims`.
    pub persistent_volume_claims: Option<u64>,
    /// A container runs without a CPU limit (`resources.limits.cpu: null`): the quota counts no
    /// `limits.cpu` (quota admission would refuse its pods), see [`cpu_unlimited`].
    pub no_limits_cpu: bool,
}

/// The settings of the containers the render writes without a CPU limit
/// (`agent.resources.limits.cpu`, a sidecar's, Redis', ...), in the order of the templates.
/// Any one of them turns off the quota's `limits.cpu` and the LimitRange's default CPU limit:
/// quota admission refuses a pod without a limit the quota counts, and the LimitRange would
/// give the container its default limit instead of none.
pub fn cpu_unlimited(cfg: &Config) -> Vec<String> {
    let mut out = Vec::new();
    let mut check = |path: String, r: &Resources| {
        if r.limits.cpu.is_none() {
            out.push(format!("{path}.resources.limits.cpu"));
        }
    };
    check("agent".into(), &cfg.agent.resources);
    for (name, c) in &cfg.agent.sidecars {
        check(format!("agent.sidecars.{name}"), &c.resources);
    }
    for (name, c) in &cfg.agent.init_containers {
        check(format!("agent.initContainers.{name}"), &c.resources);
    }
    if cfg.redis.enabled {
        check("redis".into(), &cfg.redis.resources);
        if cfg.redis_exporter_on() {
            check(
                "monitoring.redisExporter".into(),
                &cfg.monitoring.redis_exporter.resources,
            );
        }
    }
    if cfg.backup_on() {
        check("backup".into(), &cfg.backup.resources);
    }
    out
}

/// A quota figure set by hand that the system cannot fit in.
#[derive(Debug, Clone, PartialEq)]
pub struct Shortfall {
    /// The ResourceQuota key, e.g. `requests.cpu`.
    pub resource: &'static str,
    /// The value set.
    pub set: String,
    /// The need, formatted as a quantity (`25950m`, `52Gi`, `54`).
    pub need: String,
    /// The smallest round value that fits (whole cores, whole Gi).
    pub suggest: String,
    /// How the need adds up, e.g. `agent 51 × 500m (50 max replicas + 1 surge) + redis 250m`.
    pub breakdown: String,
    /// The largest maximum replica count of the scalable workload that fits the value set, if any.
    pub max_replicas_that_fit: Option<u64>,
    /// The need is past what Kubernetes counts ([`MAX_CPU_MILLI`], [`MAX_MEMORY_MILLI`]): no
    /// quota can hold it, whatever is set (`set` is empty when the figure is derived).
    pub beyond: Option<String>,
}

/// The most CPU a quota figure may count, in millicores: Kubernetes counts CPU in 64-bit
/// millicores (`Quantity.MilliValue`), so anything larger would wrap in the scheduler and the
/// quota controller.
pub const MAX_CPU_MILLI: u128 = i64::MAX as u128;
/// The most memory (or storage) a quota figure may count, in thousandths of a byte: Kubernetes
/// counts bytes in 64 bits (`Quantity.Value`).
pub const MAX_MEMORY_MILLI: u128 = i64::MAX as u128 * 1000;

/// The guide's example figures (the floor of a derived quota).
pub const GUIDE_REQUESTS_CPU: &str = "20";
/// The guide's example memory request figure.
pub const GUIDE_REQUESTS_MEMORY: &str = "40Gi";
/// The guide's example PVC count.
pub const GUIDE_PVCS: u64 = 10;

/// A quantity in thousandths of its unit (millicores, millibytes), rounded up; `None` when it
/// is not a Kubernetes quantity ([`Quantity`]) or is negative.
pub fn milli(q: &str) -> Option<u128> {
    Quantity::parse(q.trim()).ok()?.milli_ceil()
}

/// Sums quantities (each rounded up to a thousandth), saturating: past [`MAX_MEMORY_MILLI`] the
/// figure is refused anyway.
fn sum(qs: &[String]) -> Option<u128> {
    qs.iter()
        .try_fold(0u128, |acc, q| Some(acc.saturating_add(milli(q)?)))
}

#[derive(Clone, Copy)]
enum Kind {
    Cpu,
    Memory,
}

impl Kind {
    fn format(self, m: u128) -> String {
        match self {
            Kind::Cpu => quantity::cpu_text(m),
            Kind::Memory => quantity::memory_text(m),
        }
    }
    /// Rounded up to a whole core or a whole Gi.
    fn round_up(self, m: u128) -> u128 {
        quantity::round_up_milli(m, matches!(self, Kind::Cpu))
    }
    /// The most a quota figure of this kind may count.
    fn max(self) -> u128 {
        match self {
            Kind::Cpu => MAX_CPU_MILLI,
            Kind::Memory => MAX_MEMORY_MILLI,
        }
    }
}

type Pick = fn(&PodResources) -> &Vec<String>;

/// One compute figure: its quota key, kind, where it is in a pod, the figure set by hand and the
/// guide's floor.
type Figure<'a> = (
    &'static str,
    Kind,
    Pick,
    &'a Option<String>,
    Option<&'static str>,
);

/// The `spec.hard` map of the quota, or every shortfall of the figures set by hand. An invalid
/// quantity (validated elsewhere) counts as zero need, or as no figure set.
// Long on purpose: one table of the quota figures (what they sum, their floors) followed by the
// loop that applies it; the table reads best in one place.
pub fn fit(
    workloads: &[Workload],
    volumes: &Volumes,
    set: &Requested,
) -> Result<BTreeMap<String, String>, Vec<Shortfall>> {
    let mut hard = BTreeMap::new();
    let mut short = Vec::new();
    let compute: [Figure; 4] = [
        (
            "requests.cpu",
            Kind::Cpu,
            |p| &p.requests_cpu,
            &set.requests_cpu,
            Some(GUIDE_REQUESTS_CPU),
        ),
        (
            "requests.memory",
            Kind::Memory,
            |p| &p.requests_memory,
            &set.requests_memory,
            Some(GUIDE_REQUESTS_MEMORY),
        ),
        (
            "limits.cpu",
            Kind::Cpu,
            |p| &p.limits_cpu,
            &set.limits_cpu,
            None,
        ),
        (
            "limits.memory",
            Kind::Memory,
            |p| &p.limits_memory,
            &set.limits_memory,
            None,
        ),
    ];
    for (resource, kind, pick, given, floor) in compute {
        // No CPU limit on some container: the quota must not count one (validation refuses
        // `quota.limitsCpu` then).
        if resource == "limits.cpu" && set.no_limits_cpu {
            continue;
        }
        let per_pod: Vec<u128> = workloads
            .iter()
            .map(|w| sum(pick(&w.per_pod)).unwrap_or(0))
            .collect();
        let need: u128 = workloads
            .iter()
            .zip(&per_pod)
            .map(|(w, p)| u128::from(w.pods).saturating_mul(*p))
            .fold(0, u128::saturating_add);
        if need > kind.max() {
            short.push(Shortfall {
                resource,
                set: given.clone().unwrap_or_default(),
                need: kind.format(need),
                suggest: String::new(),
                breakdown: breakdown(workloads, &per_pod, kind),
                max_replicas_that_fit: None,
                beyond: Some(kind.format(kind.max())),
            });
            continue;
        }
        match given {
            Some(v) => {
                let have = milli(v).unwrap_or(u128::MAX);
                if have < need {
                    short.push(Shortfall {
                        resource,
                        set: v.clone(),
                        need: kind.format(need),
                        suggest: kind.format(kind.round_up(need)),
                        breakdown: breakdown(workloads, &per_pod, kind),
                        max_replicas_that_fit: max_replicas(workloads, &per_pod, have),
                        beyond: None,
                    });
                }
                hard.insert(resource.to_owned(), v.clone());
            }
            None => {
                let floor = floor.and_then(milli).unwrap_or(0);
                hard.insert(
                    resource.to_owned(),
                    kind.format(kind.round_up(need).max(floor)),
                );
            }
        }
    }
    // A pod's requests never exceed its limits, so neither does the quota's: a derived figure
    // is bounded by the other one (the guide's request floors can exceed a small need's limits).
    for (req, lim, r_given, l_given) in [
        (
            "requests.cpu",
            "limits.cpu",
            &set.requests_cpu,
            &set.limits_cpu,
        ),
        (
            "requests.memory",
            "limits.memory",
            &set.requests_memory,
            &set.limits_memory,
        ),
    ] {
        let (Some(r), Some(l)) = (hard.get(req).cloned(), hard.get(lim).cloned()) else {
            continue;
        };
        if milli(&r).unwrap_or(0) <= milli(&l).unwrap_or(u128::MAX) {
            continue;
        }
        match (r_given, l_given) {
            // Derived limits: raised to the requests.
            (_, None) => {
                hard.insert(lim.to_owned(), r);
            }
            // Derived requests under limits set by hand: lowered to them (a limit below the
            // need is a shortfall already).
            (None, Some(_)) => {
                hard.insert(req.to_owned(), l);
            }
            // Both set by hand: `validate` refuses it, located at both settings.
            (Some(_), Some(_)) => {}
        }
    }
    let pods: u64 = workloads
        .iter()
        .map(|w| w.pods)
        .fold(0, u64::saturating_add);
    let pod_breakdown = workloads
        .iter()
        .filter(|w| w.pods > 0)
        .map(|w| label(w, &w.pods.to_string()))
        .collect::<Vec<_>>()
        .join(" + ");
    count(
        &mut hard,
        &mut short,
        "pods",
        pods,
        0,
        set.pods,
        pod_breakdown,
        || {
            workloads
                .iter()
                .find(|w| w.surge.is_some())
                .and_then(|agent| {
                    let others = pods - agent.pods;
                    let room = set.pods?.checked_sub(others)?;
                    largest_fitting(agent, room)
                })
        },
    );
    let pvcs = volumes.sizes.len() as u64;
    count(
        &mut hard,
        &mut short,
        "persistentvolumeclaims",
        pvcs,
        GUIDE_PVCS,
        set.persistent_volume_claims,
        volumes.names.join(" + "),
        || None,
    );
    if let Some(v) = &set.requests_storage {
        let need = sum(&volumes.sizes).unwrap_or(0);
        if milli(v).unwrap_or(u128::MAX) < need {
            short.push(Shortfall {
                resource: "requests.storage",
                set: v.clone(),
                need: Kind::Memory.format(need),
                suggest: Kind::Memory.format(Kind::Memory.round_up(need)),
                breakdown: volumes
                    .names
                    .iter()
                    .zip(&volumes.sizes)
                    .map(|(n, s)| format!("{n} {s}"))
                    .collect::<Vec<_>>()
                    .join(" + "),
                max_replicas_that_fit: None,
                beyond: None,
            });
        }
        hard.insert("requests.storage".to_owned(), v.clone());
    }
    if short.is_empty() {
        Ok(hard)
    } else {
        Err(short)
    }
}

#[allow(clippy::too_many_arguments)]
fn count(
    hard: &mut BTreeMap<String, String>,
    short: &mut Vec<Shortfall>,
    resource: &'static str,
    need: u64,
    floor: u64,
    given: Option<u64>,
    breakdown: String,
    fits: impl FnOnce() -> Option<u64>,
) {
    match given {
        Some(v) if v < need => {
            short.push(Shortfall {
                resource,
                set: v.to_string(),
                need: need.to_string(),
                suggest: need.to_string(),
                breakdown,
                max_replicas_that_fit: fits(),
                beyond: None,
            });
            hard.insert(resource.to_owned(), v.to_string());
        }
        Some(v) => {
            hard.insert(resource.to_owned(), v.to_string());
        }
        None => {
            hard.insert(resource.to_owned(), need.max(floor).to_string());
        }
    }
}

fn label(w: &Workload, amount: &str) -> String {
    let mut s = format!("{} {amount}", w.name);
    if !w.why.is_empty() {
        s.push_str(&format!(" ({})", w.why));
    }
    s
}

fn breakdown(workloads: &[Workload], per_pod: &[u128], kind: Kind) -> String {
    workloads
        .iter()
        .zip(per_pod)
        .filter(|(w, p)| w.pods > 0 && **p > 0)
        .map(|(w, p)| {
            if w.pods == 1 {
                label(w, &kind.format(*p))
            } else {
                label(w, &format!("{} × {}", w.pods, kind.format(*p)))
            }
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

/// The largest maximum replica count of the scalable workload whose pods (with surge) fit in
/// `have`, the others' need taken first.
fn max_replicas(workloads: &[Workload], per_pod: &[u128], have: u128) -> Option<u64> {
    let i = workloads.iter().position(|w| w.surge.is_some())?;
    let others: u128 = workloads
        .iter()
        .zip(per_pod)
        .enumerate()
        .filter(|(j, _)| *j != i)
        .map(|(_, (w, p))| u128::from(w.pods) * p)
        .sum();
    let room = have.checked_sub(others)?;
    let pods = u64::try_from(room / per_pod[i].max(1)).unwrap_or(u64::MAX);
    largest_fitting(&workloads[i], pods)
}

/// The largest replica count `r ≥ 1` with `r + surge(r) ≤ pods`.
fn largest_fitting(agent: &Workload, pods: u64) -> Option<u64> {
    let surge = agent.surge?;
    let mut r = pods;
    while r > 0 && r + surge.pods(r) > pods {
        r -= 1;
    }
    (r > 0).then_some(r)
}

#[cfg(test)]
mod tests;
