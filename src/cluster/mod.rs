//! The live cluster: the one connection (kube-rs on a current-thread tokio runtime, created
//! only when a cluster command runs, so `render` and `diff` pay nothing for it) and the reads
//! the cluster commands make: get, list, discovery and server-side dry-run, never a write.
//! Every failure is a located [`connect::ClusterError`] (server, context, kubeconfig, fix),
//! what a foreign error says told by `foreign` (never a credential plugin's output).
//! What is made of the objects read is pure and tested offline over recorded objects:
//! [`health`] (`status`), [`doctor`] (prerequisites and troubleshooting).

pub mod connect;
pub mod doctor;
pub mod drift;
mod foreign;
pub mod health;
pub mod kubeconfig;
pub mod live;
mod observe;

use std::time::Duration;

use serde_json::Value as J;

pub use connect::{ClusterError, Options, Origin};
use connect::{explain, fail};

/// A connection to one cluster, checked (reachable, credentials accepted) when made.
pub struct Cluster {
    rt: tokio::runtime::Runtime,
    client: kube::Client,
    /// Where it is.
    pub origin: Origin,
    /// The API server's version (`v1.33.13`).
    pub version: String,
    timeout: Duration,
}

/// The answer to a GET: the object, or why there is none.
pub type Got = Option<J>;

impl Cluster {
    /// Connects as kubectl would (see [`connect`]) and checks the server answers and accepts
    /// our credentials (its version, then the core API list, which needs authentication).
    pub fn connect(opts: &Options) -> Result<Cluster, ClusterError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| fail(format!("cannot start the network runtime: {e}"), None))?;
        let (config, origin) = rt.block_on(connect::config(opts))?;
        let client = {
            let _guard = rt.enter();
            kube::Client::try_from(config).map_err(|e| {
                fail(
                    format!(
                        "cannot set up a client for {origin}: {}",
                        foreign::text(&e)
                    ),
                    "check the certificates and credentials of that context (`kubectl config view --minify`)".to_owned(),
                )
            })?
        };
        let mut cluster = Cluster {
            rt,
            client,
            origin,
            version: String::new(),
            timeout: opts.timeout,
        };
        let info = cluster.run("read the server version", |c| async move {
            c.apiserver_version().await
        })?;
        cluster.version = info.git_version;
        cluster.run("list the core API versions", |c| async move {
            c.list_core_api_versions().await
        })?;
        Ok(cluster)
    }

    /// Runs one request with the timeout; its failure said for `what`.
    fn run<T, F, Fut>(&self, what: &str, f: F) -> Result<T, ClusterError>
    where
        F: FnOnce(kube::Client) -> Fut,
        Fut: std::future::Future<Output = Result<T, kube::Error>>,
    {
        self.call(f(self.client.clone()))
            .map_err(|e| self.say(e, what))
    }

    /// Runs one request with the timeout.
    fn call<T>(
        &self,
        fut: impl std::future::Future<Output = Result<T, kube::Error>>,
    ) -> Result<T, Failure> {
        let limit = self.timeout + Duration::from_secs(1);
        match self
            .rt
            .block_on(async { tokio::time::timeout(limit, fut).await })
        {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(Failure::Kube(e)),
            Err(_) => Err(Failure::Timeout),
        }
    }

    fn say(&self, failure: Failure, what: &str) -> ClusterError {
        match failure {
            Failure::Kube(e) => explain(&e, what, &self.origin, self.timeout),
            Failure::Timeout => fail(
                format!(
                    "no answer from the cluster at {} within {}s to {what}",
                    self.origin,
                    self.timeout.as_secs()
                ),
                format!(
                    "check that it is up with `{} cluster-info`, or allow longer with --request-timeout",
                    self.origin.kubectl()
                ),
            ),
        }
    }

    /// GET `path`; `None` when the server says 404 (no such object, or no such API) or 503
    /// (an aggregated API whose server is not available).
    pub fn get_path(&self, path: &str, what: &str) -> Result<Got, ClusterError> {
        let req = http::Request::get(path)
            .body(Vec::new())
            .map_err(|e| fail(format!("bad request path {path}: {e}"), None))?;
        match self.call(self.client.request::<J>(req)) {
            Ok(v) => Ok(Some(v)),
            Err(Failure::Kube(kube::Error::Api(s))) if matches!(s.code, 404 | 503) => Ok(None),
            Err(e) => Err(self.say(e, what)),
        }
    }

    /// One object, or `None` when it does not exist (or its API is not served).
    pub fn get(&self, r: &live::Ref) -> Result<Got, ClusterError> {
        self.get_path(&r.path(), &format!("get {r}"))
    }

    /// The objects of a kind in a namespace (all namespaces: `None`), optionally by label
    /// selector; `None` when the kind is not served.
    pub fn list(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        selector: Option<&str>,
    ) -> Result<Option<Vec<J>>, ClusterError> {
        self.list_plural(api_version, kind, &live::plural(kind), namespace, selector)
    }

    /// [`Cluster::list`] of a kind served under `plural` (a listed CRD's).
    pub fn list_plural(
        &self,
        api_version: &str,
        kind: &str,
        plural: &str,
        namespace: Option<&str>,
        selector: Option<&str>,
    ) -> Result<Option<Vec<J>>, ClusterError> {
        let mut path = live::collection_at(api_version, plural, namespace);
        if let Some(s) = selector {
            path.push_str(&format!("?labelSelector={}", live::query_escape(s)));
        }
        let what = format!(
            "list {plural}{}",
            namespace
                .map(|n| format!(" in namespace {n}"))
                .unwrap_or_default()
        );
        Ok(self.get_path(&path, &what)?.map(|list| {
            let item_kind = kind.to_owned();
            let version = api_version.to_owned();
            list.get("items")
                .and_then(J::as_array)
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(|mut o| {
                    // List items come without kind and apiVersion.
                    if let Some(m) = o.as_object_mut() {
                        m.entry("kind").or_insert(J::String(item_kind.clone()));
                        m.entry("apiVersion").or_insert(J::String(version.clone()));
                    }
                    o
                })
                .collect()
        }))
    }

    /// What `kubectl apply --server-side` of `obj` would leave in the cluster, computed by the
    /// server without persisting anything (`dryRun=All`): `Ok(Err(reason))` when the server
    /// refuses it (an invalid or immutable change).
    pub fn dry_run_apply(&self, obj: &J) -> Result<Result<J, String>, ClusterError> {
        self.dry_run_apply_at(&live::Ref::of(obj), obj)
    }

    /// [`Cluster::dry_run_apply`] at `r`'s path (a custom kind's, with its listed plural).
    pub fn dry_run_apply_at(
        &self,
        r: &live::Ref,
        obj: &J,
    ) -> Result<Result<J, String>, ClusterError> {
        let path = format!("{}?dryRun=All&fieldManager=agentctl&force=true", r.path());
        let body = serde_json::to_vec(obj).unwrap_or_default();
        let req = http::Request::patch(&path)
            .header("Content-Type", "application/apply-patch+yaml")
            .body(body)
            .map_err(|e| fail(format!("bad request path {path}: {e}"), None))?;
        let what = format!("dry-run the apply of {r}");
        match self.call(self.client.request::<J>(req)) {
            Ok(v) => Ok(Ok(v)),
            Err(Failure::Kube(kube::Error::Api(s))) if matches!(s.code, 400 | 404 | 409 | 422) => {
                Ok(Err(s.message.clone()))
            }
            Err(e) => Err(self.say(e, &what)),
        }
    }
}

/// Why a request gave no answer.
enum Failure {
    Kube(kube::Error),
    Timeout,
}
