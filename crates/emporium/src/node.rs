//! A node: the services one process runs, their listeners, and the wiring between them.
//! `Node::build` builds each service the process runs from its plugin, in the registry's order,
//! and serves what they give back on one HTTP and one gRPC port.

use std::any::Any;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use anyhow::Context as _;
use platform::Shutdown;
use platform::auth::{KeySource, Verifier, VerifierConfig};
use platform::faults::Faults;
use platform::grpc::ServerLayer;
use platform::http::Readiness;
use platform::registry::{Background, Built, FirstStart, Issuer, Shared};
use tonic::service::Routes;

use crate::Settings;
use crate::registry::{Service, default_allowed_clients};
use crate::wiring::{NodeWiring, http_client, remote_identity_http};

/// The services of one process, bound and ready to run.
pub struct Node {
    http_listener: tokio::net::TcpListener,
    grpc_listener: tokio::net::TcpListener,
    app: axum::Router,
    routes: Routes,
    /// The full names of the gRPC services on the port, each with its own health status.
    served: Vec<&'static str>,
    layer: ServerLayer,
    /// With mTLS, the server side of it.
    server_tls: Option<platform::tls::ServerTls>,
    readiness: Readiness,
    pub settings: Settings,
    pub first_start: FirstStart,
    handles: Vec<Arc<dyn Any + Send + Sync>>,
    background: Vec<Background>,
}

impl std::fmt::Debug for Node {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Node")
            .field("public_url", &self.settings.public_url)
            .finish_non_exhaustive()
    }
}

/// How a node checks who calls it: the layer on every gRPC call, and mTLS when it is set.
struct Security {
    layer: ServerLayer,
    server_tls: Option<platform::tls::ServerTls>,
    client_tls: Option<platform::tls::ClientTls>,
}

impl Node {
    /// Binds the ports, opens the databases, seeds an empty catalog, and wires `services`
    /// to each other in-process and to the rest over the network.
    pub async fn build(
        mut settings: Settings,
        services: &[Service],
        mut seed_progress: impl FnMut(usize, usize) + Send,
    ) -> anyhow::Result<Node> {
        let clients = Service::clients();
        // Refuse bad settings before anything is bound or migrated.
        identity::check_client_secrets(&clients, &settings.services.identity.client_secrets)?;
        settings.remote.check()?;
        let http_listener = tokio::net::TcpListener::bind(&settings.http_addr)
            .await
            .with_context(|| format!("listen on http_addr {}", settings.http_addr))?;
        let grpc_listener = tokio::net::TcpListener::bind(&settings.grpc_addr)
            .await
            .with_context(|| format!("listen on grpc_addr {}", settings.grpc_addr))?;
        settings.resolve(&format!("http://{}", http_listener.local_addr()?));

        let issuer: Arc<OnceLock<Arc<dyn Issuer>>> = Arc::default();
        let verifier = verifier(&settings, services, issuer.clone())?;
        let security = security(&settings, services, verifier.clone())?;
        let faults = Faults::new();
        let bus = connect_bus(&settings, services).await?;
        let names = services.iter().map(|service| service.name().to_owned());
        let ops = platform::ops::Ops::new(names.collect(), bus.clone());
        let wiring = NodeWiring {
            services: services.to_vec(),
            layer: security.layer.clone(),
            remote: settings.remote.clone(),
            tls: security.client_tls,
            faults: faults.clone(),
            ops: ops.clone(),
            issuer: issuer.clone(),
            local: Mutex::default(),
            shared: Mutex::default(),
        };
        let shared = Shared {
            bus,
            faults: faults.clone(),
            ops: ops.clone(),
            verifier,
            clients: &clients,
            seed_stock,
            wiring: &wiring,
            issuer: &issuer,
            exports: settings.data_products.exports(&settings.data_dir),
        };
        let mut first_start = FirstStart::default();
        let built = build_services(
            (&settings, services),
            (&shared, &wiring),
            &mut first_start,
            &mut seed_progress,
        )
        .await?;

        let (routes, served) = grpc_routes(&built, services, &faults, &ops)?;
        let readiness = Readiness::default();
        let (app, handles, background) = assemble(built, readiness.clone());
        Ok(Node {
            http_listener,
            grpc_listener,
            app,
            routes,
            served,
            layer: security.layer,
            server_tls: security.server_tls,
            readiness,
            settings,
            first_start,
            handles,
            background,
        })
    }

    /// The service of type `T` (such as `identity::Identity`), when this node runs it.
    pub fn service<T: Clone + 'static>(&self) -> Option<T> {
        self.handles
            .iter()
            .find_map(|handle| handle.downcast_ref::<T>())
            .cloned()
    }

    pub fn http_address(&self) -> std::net::SocketAddr {
        self.http_listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub fn grpc_address(&self) -> std::net::SocketAddr {
        self.grpc_listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Serves HTTP and gRPC until `shutdown`, then drains both.
    pub async fn run_until_stopped(self, shutdown: Shutdown) -> anyhow::Result<()> {
        let deadline_shutdown = shutdown.clone();
        // Each piece of background work is a task of its own: awaited inside this future, it
        // would all run on the thread that polls it, beside the work-stealing pool.
        let background = futures_util::future::join_all(
            self.background
                .into_iter()
                .map(|work| tokio::spawn(work(shutdown.clone()))),
        );
        let background = async move {
            for finished in background.await {
                if let Err(error) = finished {
                    tracing::error!(%error, "background work ended abnormally");
                }
            }
            tracing::info!("background work stopped");
            Ok::<(), anyhow::Error>(())
        };
        let http = tokio::spawn(platform::http::serve(
            self.http_listener,
            self.app,
            shutdown.clone(),
        ));
        let grpc = match self.server_tls {
            Some(tls) => tokio::spawn(platform::grpc::serve_tls(
                self.grpc_listener,
                self.routes,
                self.served,
                self.layer,
                tls,
                shutdown.clone(),
            )),
            None => tokio::spawn(platform::grpc::serve(
                self.grpc_listener,
                self.routes,
                self.served,
                self.layer,
                shutdown.clone(),
            )),
        };
        self.readiness.set_ready(true);
        let readiness = self.readiness.clone();
        let not_ready_on_shutdown = async move {
            shutdown.wait().await;
            readiness.set_ready(false);
            Ok::<(), anyhow::Error>(())
        };
        let serving = async {
            tokio::try_join!(
                async {
                    http.await?.context("serve HTTP")?;
                    tracing::info!("HTTP drained");
                    Ok::<(), anyhow::Error>(())
                },
                async {
                    grpc.await??;
                    tracing::info!("gRPC drained");
                    Ok::<(), anyhow::Error>(())
                },
                not_ready_on_shutdown,
                background
            )
        };
        // Clients that keep connections open must not keep the process alive: after the
        // grace period the drain ends, as an orchestrator would end it harder.
        let grace = Duration::from_secs(self.settings.drain_timeout_seconds);
        let deadline = async {
            deadline_shutdown.wait().await;
            tokio::time::sleep(grace).await;
        };
        tokio::select! {
            result = serving => { result?; }
            _ = deadline => tracing::warn!(seconds = grace.as_secs(), "the drain took too long; stopping anyway"),
        }
        Ok(())
    }
}

/// Builds `services` in the registry's order, each after those it calls, telling `wiring` of
/// each one's gRPC services as it is built.
async fn build_services(
    (settings, services): (&Settings, &[Service]),
    (shared, wiring): (&Shared<'_>, &NodeWiring),
    first_start: &mut FirstStart,
    seed_progress: &mut (dyn FnMut(usize, usize) + Send),
) -> anyhow::Result<Vec<Built>> {
    let mut built = Vec::new();
    for service in Service::ALL
        .iter()
        .filter(|service| services.contains(service))
    {
        let parts = service
            .build(&settings.services, shared, first_start, seed_progress)
            .await
            .with_context(|| format!("start {}", service.name()))?;
        wiring.add_local(*service, &parts);
        built.push(parts);
    }
    Ok(built)
}

/// The HTTP routes of every built service behind the shop's middleware, the services' handles
/// and their background work.
fn assemble(
    built: Vec<Built>,
    readiness: Readiness,
) -> (
    axum::Router,
    Vec<Arc<dyn Any + Send + Sync>>,
    Vec<Background>,
) {
    let mut app = platform::http::operational_routes(readiness);
    let mut handles = Vec::new();
    let mut background = Vec::new();
    let mut around = Vec::new();
    for parts in built {
        if let Some(router) = parts.router {
            app = app.merge(router);
        }
        handles.extend(parts.handle);
        background.extend(parts.background);
        around.extend(parts.around_http);
    }
    let mut app = app.fallback(platform::http::not_found);
    for wrap in around {
        app = wrap(app);
    }
    let app = app.layer(axum::middleware::from_fn(platform::http::observe));
    (app, handles, background)
}

/// Verifies tokens with identity's keys: asked in-process when identity runs here, fetched from
/// its JWKS endpoint when not.
fn verifier(
    settings: &Settings,
    services: &[Service],
    issuer: Arc<OnceLock<Arc<dyn Issuer>>>,
) -> anyhow::Result<Verifier> {
    let identity = &settings.services.identity;
    let keys = match services.contains(&Service::Identity) {
        true => KeySource::InProcess(Arc::new(move || {
            issuer.get().map(|issuer| issuer.jwks()).unwrap_or_default()
        })),
        false => KeySource::Http {
            client: http_client()?,
            jwks_url: format!("{}/oauth2/jwks", remote_identity_http(&settings.remote)?),
        },
    };
    Ok(Verifier::new(
        VerifierConfig {
            issuer: identity.issuer.trim_end_matches('/').to_owned(),
            audience: identity.audience.clone(),
            min_refetch_interval: Duration::from_secs(5),
        },
        keys,
    ))
}

fn security(
    settings: &Settings,
    services: &[Service],
    verifier: Verifier,
) -> anyhow::Result<Security> {
    let layer = ServerLayer::new(verifier, &Service::all_public_methods());
    if !settings.tls.enabled()? {
        return Ok(Security {
            layer,
            server_tls: None,
            client_tls: None,
        });
    }
    let allowed = match settings.tls.allowed_clients.is_empty() {
        true => default_allowed_clients(services),
        false => settings.tls.allowed_clients.clone(),
    };
    Ok(Security {
        layer: layer.with_allowed_peers(platform::tls::AllowList::new(allowed)),
        server_tls: Some(
            platform::tls::ServerTls::load(&settings.tls).context("mTLS for serving")?,
        ),
        client_tls: Some(
            platform::tls::ClientTls::load(&settings.tls).context("mTLS for calling")?,
        ),
    })
}

/// One bus for the services of this process: in the process, or NATS JetStream.
async fn connect_bus(
    settings: &Settings,
    services: &[Service],
) -> anyhow::Result<Arc<dyn platform::bus::EventBus>> {
    if !settings.bus_url.is_empty() {
        let bus = platform::bus::nats::JetStreamBus::connect_in(
            &settings.bus_url,
            &settings.bus_namespace,
        )
        .await
        .context("connect to the event bus")?;
        return Ok(Arc::new(bus));
    }
    if services.len() < Service::ALL.len() {
        tracing::warn!(
            "this process runs some of the services on the in-process bus: events will not reach services in other processes (set bus_url to a NATS server)"
        );
    }
    Ok(Arc::new(platform::bus::InProcessBus::new()))
}

/// The gRPC health service and reflection, which every gRPC port serves and which need no token.
const HEALTH: &str = "grpc.health.v1.Health";
const REFLECTION: [&str; 2] = [
    "grpc.reflection.v1.ServerReflection",
    "grpc.reflection.v1alpha.ServerReflection",
];

/// What the gRPC port serves, and the full names of the services among it: every built
/// service, the fault switches when a service here reads faults, and reflection (grpcurl,
/// grpcui), which lists them with health and itself.
fn grpc_routes(
    built: &[Built],
    services: &[Service],
    faults: &Faults,
    ops: &platform::ops::Ops,
) -> anyhow::Result<(Routes, Vec<&'static str>)> {
    let mut routes = Routes::default();
    let mut served: Vec<&'static str> = Vec::new();
    for grpc in built.iter().flat_map(|parts| &parts.grpc) {
        routes = grpc.add_to(routes);
        served.push(grpc.name);
    }
    let reads_faults = services
        .iter()
        .any(|service| platform::faults::OWNERS.contains(&service.name()));
    if reads_faults {
        let switches = platform::faults::grpc::server(faults.clone());
        served.push(named(&switches));
        routes = routes.add_service(switches);
    }
    let operations = platform::ops::grpc::server(ops.clone());
    served.push(named(&operations));
    routes = routes.add_service(operations);
    let listed = served.iter().copied().chain([HEALTH]).chain(REFLECTION);
    let described = built
        .iter()
        .flat_map(|parts| parts.descriptors.iter().copied());
    let reflection = || {
        let known = described.clone().fold(
            tonic_reflection::server::Builder::configure()
                .register_encoded_file_descriptor_set(proto::FILE_DESCRIPTOR_SET)
                .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET),
            |reflection, descriptors| reflection.register_encoded_file_descriptor_set(descriptors),
        );
        listed
            .clone()
            .fold(known, |reflection, name| reflection.with_service_name(name))
    };
    let routes = routes
        .add_service(
            reflection()
                .build_v1()
                .context("build the gRPC reflection service")?,
        )
        .add_service(
            reflection()
                .build_v1alpha()
                .context("build the gRPC reflection service (v1alpha)")?,
        );
    Ok((routes, served))
}

/// The stock levels of the seed catalog.
fn seed_stock() -> anyhow::Result<Vec<(String, i64)>> {
    Ok(catalog::seed::products()?
        .into_iter()
        .map(|product| (product.sku, product.stock))
        .collect())
}

/// The full gRPC name of a generated server, such as `emporium.orders.v1.Orders`.
fn named<S: tonic::server::NamedService>(_service: &S) -> &'static str {
    S::NAME
}
