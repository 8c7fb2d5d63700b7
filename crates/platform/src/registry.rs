//! The contract between a service crate and the binary that runs it: each service crate has one
//! `Plugin` (its name, what it calls, its own client, how to build it), the binary's registry
//! lists them, and a node builds the ones it runs in the registry's order, giving each a
//! `Context` (transports to what it calls, the bus, tokens) and getting back a `Built` (its gRPC
//! services, routes and background work).

use std::any::Any;
use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use futures_util::future::BoxFuture;
use jsonwebtoken::jwk::JwkSet;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tonic::service::Routes;

use crate::Shutdown;
use crate::auth::{TokenSource, Verifier};
use crate::bus::EventBus;
use crate::faults::Faults;
use crate::transport::Transport;

/// What a service crate tells the binary about itself. One per service, listed once in the
/// binary's registry.
pub trait Plugin {
    /// Its settings: the section named after the service (`[catalog]`, `EMPORIUM_CATALOG__...`).
    type Config: Clone
        + std::fmt::Debug
        + Default
        + Serialize
        + DeserializeOwned
        + Send
        + Sync
        + 'static;

    /// The name on the command line, in settings, certificates and SPIFFE ids, and in
    /// `remote.<name>_grpc`.
    const NAME: &'static str;

    /// The services whose gRPC methods it calls. They come before it in the registry; with
    /// mTLS, a process's default allow list is the callers of what it runs.
    const CALLS: &'static [&'static str] = &[];

    /// The client at identity that its own tokens are issued to, when it calls with its own
    /// authority.
    const CLIENT: Option<ServiceClient> = None;

    /// Its gRPC methods that need no token.
    const PUBLIC_METHODS: &'static [&'static str] = &[];

    /// Its settings' database URL, when it has a database: left empty in the defaults, and
    /// filled with a SQLite file under the data folder when still empty at start.
    fn database_url(config: &mut Self::Config) -> Option<&mut String> {
        let _ = config;
        None
    }

    /// Its settings before the process fills them: the defaults with what `resolve` fills
    /// (such as the database URL) left empty.
    fn unresolved() -> Self::Config {
        let mut config = Self::Config::default();
        if let Some(database_url) = Self::database_url(&mut config) {
            database_url.clear();
        }
        config
    }

    /// Fills what its settings left empty from the process's (a database under the data folder).
    fn resolve(config: &mut Self::Config, process: &Process) {
        if let Some(database_url) = Self::database_url(config) {
            process.fill_database_url(database_url, Self::NAME);
        }
    }

    /// Opens its database and builds it; called once per process, before anything is served.
    fn build(
        config: &Self::Config,
        context: &mut Context<'_>,
    ) -> impl Future<Output = anyhow::Result<Built>> + Send;
}

/// A service's own client at identity: its id and the scopes its tokens carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServiceClient {
    pub id: &'static str,
    pub scopes: &'static [&'static str],
}

/// What a plugin may take from the process's settings to fill its own.
#[derive(Clone, Debug)]
pub struct Process {
    /// The folder for SQLite files and other local state.
    pub data_dir: PathBuf,
    /// The URL people and clients use to reach the HTTP port.
    pub public_url: String,
    /// The identity provider's HTTP URL when identity runs elsewhere; empty when here.
    pub remote_identity_http: String,
}

impl Process {
    /// The SQLite database of `service` under the data folder.
    pub fn sqlite_url(&self, service: &str) -> String {
        format!("sqlite://{}/{service}.db", self.data_dir.display())
    }

    /// Sets an empty `database_url` to the SQLite database of `service`.
    pub fn fill_database_url(&self, database_url: &mut String, service: &str) {
        if database_url.is_empty() {
            *database_url = self.sqlite_url(service);
        }
    }
}

/// How a node reaches the services a plugin calls and mints the plugin's tokens; the binary
/// implements it, in-process for what runs here and over gRPC for the rest.
pub trait Wiring: Send + Sync {
    /// A transport to `service`: in-process when it runs in this node, over the network when not.
    fn transport(&self, service: &str) -> anyhow::Result<Transport>;
    /// Where `service` serves its fault switches: this process's own registry when it runs
    /// here, its process over gRPC when not.
    fn faults_transport(&self, service: &str) -> anyhow::Result<Transport>;
    /// Tokens for `client`: minted in-process when identity runs here, from the token endpoint
    /// with this process's client credentials when not.
    fn service_token(&self, client: ServiceClient) -> anyhow::Result<Arc<dyn TokenSource>>;
    /// Where every process of the shop serves its operations view: this one in-process, and
    /// each service's that runs elsewhere and has an address (a process that runs several is
    /// reached several times, and its answers carry one process id).
    fn ops_transports(&self) -> anyhow::Result<Vec<Transport>>;
    /// What the services built before in this process share with the others (`Built::share`).
    fn shared(&self) -> Vec<Arc<dyn Any + Send + Sync>>;
    /// The layer in-process calls to `service` run through, when it runs in this node and was
    /// built already; `None` when it runs elsewhere.
    fn local_layer(&self, service: &str) -> Option<crate::grpc::ServerLayer>;
}

/// The identity provider as other plugins of its process see it: the keys that verify its
/// tokens and tokens minted without a network hop.
pub trait Issuer: Send + Sync {
    fn jwks(&self) -> JwkSet;
    fn token_source(&self, client_id: &str, scope: &str) -> Arc<dyn TokenSource>;
}

/// The development accounts and seed counts of a first start, for the binary to print once.
#[derive(Clone, Debug, Default)]
pub struct FirstStart {
    /// `(email, password)` of the development user, when it was just created.
    pub user: Option<(String, String)>,
    /// The secret of each confidential client registered just now, by client id: the admin
    /// client's for operators, the gateway's for a gateway that runs apart from identity.
    pub client_secrets: std::collections::BTreeMap<String, String>,
    /// How many products the seed added.
    pub seeded_products: usize,
    /// How many stock records the seed added.
    pub seeded_stock: usize,
}

/// What the node gives a plugin's `build`.
pub struct Context<'a> {
    /// The event bus every service of the process shares.
    pub bus: Arc<dyn EventBus>,
    /// The process's fault switches.
    pub faults: Faults,
    /// What the process shows the operations view; a service with an outbox adds it here.
    pub ops: crate::ops::Ops,
    /// Verifies callers' tokens, for a plugin that answers without calling a service.
    pub verifier: Verifier,
    /// What a first start made, to print once.
    pub first_start: &'a mut FirstStart,
    /// Every client at identity that the shop's own parts use: each service's and the
    /// operators' admin client.
    pub clients: &'a [ServiceClient],
    /// The stock levels of the seed catalog, for a first start.
    pub seed_stock: fn() -> anyhow::Result<Vec<(String, i64)>>,
    /// Told `(done, total)` while a first start seeds.
    pub seed_progress: &'a mut (dyn FnMut(usize, usize) + Send),
    /// Where and how often a domain that publishes a data product exports it; `None` when the
    /// process exports none.
    pub exports: Option<Exports>,
    name: &'static str,
    calls: &'static [&'static str],
    wiring: &'a dyn Wiring,
    issuer: &'a OnceLock<Arc<dyn Issuer>>,
}

impl std::fmt::Debug for Context<'_> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Context")
            .field("service", &self.name)
            .finish_non_exhaustive()
    }
}

/// The parts of a context that stay the same for every plugin of a node.
pub struct Shared<'a> {
    pub bus: Arc<dyn EventBus>,
    pub faults: Faults,
    pub ops: crate::ops::Ops,
    pub verifier: Verifier,
    pub clients: &'a [ServiceClient],
    pub seed_stock: fn() -> anyhow::Result<Vec<(String, i64)>>,
    pub wiring: &'a dyn Wiring,
    pub issuer: &'a OnceLock<Arc<dyn Issuer>>,
    pub exports: Option<Exports>,
}

/// The process's data products' exports: the folder they are written under
/// (`<dir>/<product>/<table>.parquet`) and how often.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exports {
    pub dir: PathBuf,
    pub every: std::time::Duration,
}

impl<'a> Context<'a> {
    /// The context of the plugin `P`.
    pub fn new<P: Plugin>(
        shared: &Shared<'a>,
        first_start: &'a mut FirstStart,
        seed_progress: &'a mut (dyn FnMut(usize, usize) + Send),
    ) -> Context<'a> {
        Context {
            bus: shared.bus.clone(),
            faults: shared.faults.clone(),
            ops: shared.ops.clone(),
            verifier: shared.verifier.clone(),
            first_start,
            clients: shared.clients,
            seed_stock: shared.seed_stock,
            seed_progress,
            exports: shared.exports.clone(),
            name: P::NAME,
            calls: P::CALLS,
            wiring: shared.wiring,
            issuer: shared.issuer,
        }
    }

    /// A transport to `service`, which must be one the plugin declares in `CALLS`.
    pub fn transport(&self, service: &str) -> anyhow::Result<Transport> {
        self.check_calls(service)?;
        let transport = self.wiring.transport(service)?;
        Ok(crate::transport::observed(
            transport,
            self.name,
            self.callee(service),
        ))
    }

    /// `service`'s implementation `S` (a generated server trait), to call without the codec
    /// (`transport::Direct`), when `service` runs in this process and shares it as `Arc<S>`;
    /// `None` when it runs elsewhere, where its client over `transport` reaches it.
    pub fn direct<S: ?Sized + Send + Sync + 'static>(
        &self,
        service: &str,
    ) -> anyhow::Result<Option<crate::transport::Direct<S>>> {
        self.check_calls(service)?;
        let (Some(layer), Some(implementation)) =
            (self.wiring.local_layer(service), self.shared::<Arc<S>>())
        else {
            return Ok(None);
        };
        Ok(Some(crate::transport::Direct::new(
            implementation,
            layer,
            self.name,
            self.callee(service),
        )))
    }

    /// `service` as the `&'static str` of `CALLS`, for labels.
    fn callee(&self, service: &str) -> &'static str {
        self.calls
            .iter()
            .find(|called| **called == service)
            .copied()
            .unwrap_or("unknown")
    }

    /// Where `service`, which the plugin calls, serves its fault switches.
    pub fn faults_transport(&self, service: &str) -> anyhow::Result<Transport> {
        self.check_calls(service)?;
        self.wiring.faults_transport(service)
    }

    fn check_calls(&self, service: &str) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.calls.contains(&service),
            "{} calls {service}, which its plugin does not list in CALLS",
            self.name
        );
        Ok(())
    }

    /// A part of type `T` that a service built before in this process shares (the functions'
    /// runner, say), or `None` when no such service runs here.
    pub fn shared<T: Any + Clone>(&self) -> Option<T> {
        self.wiring
            .shared()
            .iter()
            .find_map(|part| part.downcast_ref::<T>().cloned())
    }

    /// Where every process of the shop serves its operations view, for the gateway.
    pub fn ops_transports(&self) -> anyhow::Result<Vec<Transport>> {
        self.wiring.ops_transports()
    }

    /// The plugin's own tokens, for `client`.
    pub fn service_token(&self, client: ServiceClient) -> anyhow::Result<Arc<dyn TokenSource>> {
        self.wiring.service_token(client)
    }

    /// Makes `issuer` the process's identity provider: its keys verify tokens and it mints the
    /// services' own tokens. Identity's plugin calls it.
    pub fn set_issuer(&self, issuer: Arc<dyn Issuer>) {
        let _ = self.issuer.set(issuer);
    }
}

/// A service's work between requests, started with the shutdown signal it stops on.
pub type Background = Box<dyn FnOnce(Shutdown) -> BoxFuture<'static, ()> + Send>;

/// One gRPC service a plugin serves, with its full name for reflection.
pub struct Grpc {
    pub name: &'static str,
    /// Adds the service to routes: the gRPC port's, or an in-process transport's.
    add_to: Box<dyn Fn(Routes) -> Routes + Send + Sync>,
}

impl Grpc {
    /// `routes` with this service added.
    pub fn add_to(&self, routes: Routes) -> Routes {
        (self.add_to)(routes)
    }
}

/// What a plugin gives the node: what it serves and what it does between requests.
#[derive(Default)]
pub struct Built {
    pub grpc: Vec<Grpc>,
    pub router: Option<axum::Router>,
    pub background: Vec<Background>,
    /// The service itself, for tests and tools that want more than its RPCs.
    pub handle: Option<Arc<dyn Any + Send + Sync>>,
    /// Middleware around every HTTP request of the process, routes of other services and
    /// paths no route has included (the gateway's edge functions).
    pub around_http: Option<AroundHttp>,
    /// What the service shares with those built after it in the same process (`Context::shared`).
    pub shared: Vec<Arc<dyn Any + Send + Sync>>,
    /// Encoded descriptor sets of gRPC services whose contracts are not in the `proto` crate,
    /// for reflection.
    pub descriptors: Vec<&'static [u8]>,
}

/// Wraps a process's whole HTTP router.
pub type AroundHttp = Box<dyn FnOnce(axum::Router) -> axum::Router + Send>;

impl Built {
    /// Serves `server` on the gRPC port and to in-process callers.
    pub fn grpc<S>(mut self, server: S) -> Built
    where
        S: tower::Service<http::Request<tonic::body::Body>, Error = std::convert::Infallible>
            + tonic::server::NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Response: axum::response::IntoResponse,
        S::Future: Send + 'static,
    {
        self.grpc.push(Grpc {
            name: S::NAME,
            add_to: Box::new(move |routes| routes.add_service(server.clone())),
        });
        self
    }

    /// Describes its gRPC services to reflection with `descriptors` (an encoded
    /// `FileDescriptorSet`), for a service whose contract lives in its own crate.
    pub fn reflect(mut self, descriptors: &'static [u8]) -> Built {
        self.descriptors.push(descriptors);
        self
    }

    /// Serves `router` on the HTTP port.
    pub fn router(mut self, router: axum::Router) -> Built {
        self.router = Some(router);
        self
    }

    /// Runs `work` once the node serves, until its shutdown.
    pub fn background<F, W>(mut self, work: W) -> Built
    where
        W: FnOnce(Shutdown) -> F + Send + 'static,
        F: Future<Output = ()> + Send + 'static,
    {
        self.background
            .push(Box::new(move |shutdown| Box::pin(work(shutdown))));
        self
    }

    /// Wraps every HTTP request of the process, matched by a route or not, in `wrap`.
    pub fn around_http(
        mut self,
        wrap: impl FnOnce(axum::Router) -> axum::Router + Send + 'static,
    ) -> Built {
        self.around_http = Some(Box::new(wrap));
        self
    }

    /// Shares `part` with the services built after this one in the same process.
    pub fn share<T: Any + Send + Sync>(mut self, part: T) -> Built {
        self.shared.push(Arc::new(part));
        self
    }

    /// Keeps `service` for `Node::service`.
    pub fn handle<T: Any + Send + Sync>(mut self, service: T) -> Built {
        self.handle = Some(Arc::new(service));
        self
    }
}
