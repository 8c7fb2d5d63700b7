//! A node: the services one process runs, their listeners, and the wiring between them.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use platform::Shutdown;
use platform::auth::{ClientCredentials, KeySource, TokenSource, Verifier, VerifierConfig};
use platform::faults::Faults;
use platform::grpc::ServerLayer;
use platform::http::Readiness;
use platform::transport::Transport;
use tonic::service::Routes;

use crate::Settings;

/// A service the binary can run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Service {
    Identity,
    Catalog,
    Cart,
    Inventory,
    Payments,
    Shipping,
    Orders,
    Notifications,
    Gateway,
}

impl Service {
    pub const ALL: [Service; 9] = [
        Service::Identity,
        Service::Catalog,
        Service::Cart,
        Service::Inventory,
        Service::Payments,
        Service::Shipping,
        Service::Orders,
        Service::Notifications,
        Service::Gateway,
    ];

    /// The name on the command line, in certificates and in SPIFFE ids.
    pub fn name(self) -> &'static str {
        match self {
            Service::Identity => "identity",
            Service::Catalog => "catalog",
            Service::Cart => "cart",
            Service::Inventory => "inventory",
            Service::Payments => "payments",
            Service::Shipping => "shipping",
            Service::Orders => "orders",
            Service::Notifications => "notifications",
            Service::Gateway => "gateway",
        }
    }

    /// Who calls this service's gRPC methods: the edges of the shop. With mTLS, these (and the
    /// operators' `admin` identity) are the default allow list.
    pub fn callers(self) -> &'static [Service] {
        match self {
            Service::Identity => &[Service::Gateway, Service::Notifications],
            Service::Catalog => &[Service::Gateway, Service::Cart, Service::Orders],
            Service::Cart => &[Service::Gateway, Service::Orders],
            // The gateway only switches their faults, with an administrator's token.
            Service::Inventory | Service::Payments | Service::Shipping => {
                &[Service::Orders, Service::Gateway]
            }
            Service::Orders => &[Service::Gateway],
            Service::Notifications | Service::Gateway => &[],
        }
    }
}

/// The identity operators' tools present (`emporium certs` issues it), allowed everywhere.
pub const ADMIN_IDENTITY: &str = "admin";

/// The default allow list of a process that runs `services`.
pub fn default_allowed_clients(services: &[Service]) -> Vec<String> {
    let mut ids: Vec<String> = services
        .iter()
        .flat_map(|service| service.callers())
        .map(|caller| platform::tls::spiffe_id(caller.name()))
        .chain([platform::tls::spiffe_id(ADMIN_IDENTITY)])
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// The development accounts made on a first start, to print once.
#[derive(Clone, Debug, Default)]
pub struct FirstStart {
    /// `(email, password)` of the development user, when it was just created.
    pub user: Option<(String, String)>,
    /// `(client_id, secret)` of the admin client, when it was just created.
    pub admin_client: Option<(String, String)>,
    /// `(client_id, secret)` of the gateway's client, for a gateway that runs apart from identity.
    pub gateway_client: Option<(String, String)>,
    /// How many products the seed added.
    pub seeded_products: usize,
    /// How many stock records the seed added.
    pub seeded_stock: usize,
}

pub const DEV_USER_EMAIL: &str = "dev@emporium.local";
pub const ADMIN_CLIENT_ID: &str = "emporium-admin";
pub const GATEWAY_CLIENT_ID: &str = "gateway";
pub const ORDERS_CLIENT_ID: &str = "orders";
pub const NOTIFICATIONS_CLIENT_ID: &str = "notifications";
/// What the admin client may do: administer the catalog and the stock.
pub const ADMIN_SCOPES: &str = "catalog.read catalog.admin inventory.read inventory.admin payments.read shipping.read admin.faults";

/// The services of one process, bound and ready to run.
pub struct Node {
    http_listener: tokio::net::TcpListener,
    grpc_listener: tokio::net::TcpListener,
    app: axum::Router,
    routes: Routes,
    layer: ServerLayer,
    /// With mTLS, the server side of it.
    server_tls: Option<platform::tls::ServerTls>,
    readiness: Readiness,
    pub settings: Settings,
    pub first_start: FirstStart,
    pub identity: Option<identity::Identity>,
    background: Vec<Background>,
}

/// A service's work between requests, started with the shutdown signal it stops on.
type Background = Box<dyn FnOnce(Shutdown) -> futures_util::future::BoxFuture<'static, ()> + Send>;

impl std::fmt::Debug for Node {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Node")
            .field("public_url", &self.settings.public_url)
            .finish_non_exhaustive()
    }
}

impl Node {
    /// Binds the ports, opens the databases, seeds an empty catalog, and wires `services`
    /// to each other in-process and to the rest over the network.
    pub async fn build(
        mut settings: Settings,
        services: &[Service],
        seed_progress: impl FnMut(usize, usize),
    ) -> anyhow::Result<Node> {
        let runs = |service: Service| services.contains(&service);
        // Refuse bad client secrets before anything is bound or migrated.
        check_client_secrets(&settings.identity.client_secrets)?;
        let http_listener = tokio::net::TcpListener::bind(&settings.http_addr)
            .await
            .with_context(|| format!("listen on http_addr {}", settings.http_addr))?;
        let grpc_listener = tokio::net::TcpListener::bind(&settings.grpc_addr)
            .await
            .with_context(|| format!("listen on grpc_addr {}", settings.grpc_addr))?;
        settings.resolve(&format!("http://{}", http_listener.local_addr()?));
        let mut first_start = FirstStart::default();

        let identity = match runs(Service::Identity) {
            true => Some(
                identity::Identity::build(settings.identity.clone())
                    .await
                    .context("start identity")?,
            ),
            false => None,
        };
        let verifier = Verifier::new(
            VerifierConfig {
                issuer: settings.identity.issuer.trim_end_matches('/').to_owned(),
                audience: settings.identity.audience.clone(),
                min_refetch_interval: Duration::from_secs(5),
            },
            match &identity {
                Some(identity) => {
                    let identity = identity.clone();
                    KeySource::InProcess(Arc::new(move || identity.jwks()))
                }
                None => KeySource::Http {
                    client: http_client()?,
                    jwks_url: format!("{}/oauth2/jwks", remote_identity_http(&settings)?),
                },
            },
        );
        let mut layer = ServerLayer::new(verifier.clone(), identity::PUBLIC_METHODS);
        let (server_tls, client_tls) = if settings.tls.enabled()? {
            let allowed = if settings.tls.allowed_clients.is_empty() {
                default_allowed_clients(services)
            } else {
                settings.tls.allowed_clients.clone()
            };
            layer = layer.with_allowed_peers(platform::tls::AllowList::new(allowed));
            (
                Some(platform::tls::ServerTls::load(&settings.tls).context("mTLS for serving")?),
                Some(platform::tls::ClientTls::load(&settings.tls).context("mTLS for calling")?),
            )
        } else {
            (None, None)
        };

        if let Some(identity) = &identity {
            first_start.user = ensure_development_user(identity).await?;
            (first_start.admin_client, first_start.gateway_client) =
                ensure_clients(identity, &settings.identity.client_secrets).await?;
        }

        // One bus and one set of fault switches for the services of this process.
        let bus: Arc<dyn platform::bus::EventBus> = if settings.bus_url.is_empty() {
            if services.len() < Service::ALL.len() {
                tracing::warn!(
                    "this process runs some of the services on the in-process bus: events will not reach services in other processes (set bus_url to a NATS server)"
                );
            }
            Arc::new(platform::bus::InProcessBus::new())
        } else {
            Arc::new(
                platform::bus::nats::JetStreamBus::connect_in(
                    &settings.bus_url,
                    &settings.bus_namespace,
                )
                .await
                .context("connect to the event bus")?,
            )
        };
        let faults = Faults::new();
        let wiring = Wiring {
            services,
            layer: layer.clone(),
            remote: &settings.remote,
            tls: client_tls,
        };

        let catalog = match runs(Service::Catalog) {
            true => {
                let catalog = catalog::Catalog::build(&settings.catalog)
                    .await
                    .context("start catalog")?;
                first_start.seeded_products = catalog
                    .seed_if_empty(seed_progress)
                    .await
                    .context("seed the catalog")?;
                Some(catalog)
            }
            false => None,
        };
        let inventory = match runs(Service::Inventory) {
            true => {
                let inventory = inventory::Inventory::build(&settings.inventory, bus.clone())
                    .await
                    .context("start inventory")?
                    .with_faults(faults.clone());
                let levels: Vec<(String, i64)> = catalog::seed::products()?
                    .into_iter()
                    .map(|product| (product.sku, product.stock))
                    .collect();
                first_start.seeded_stock = inventory
                    .seed_if_missing(&levels)
                    .await
                    .context("seed the stock")?;
                Some(inventory)
            }
            false => None,
        };
        let payments = match runs(Service::Payments) {
            true => Some(
                payments::Payments::build(&settings.payments, bus.clone())
                    .await
                    .context("start payments")?
                    .with_faults(faults.clone()),
            ),
            false => None,
        };
        let shipping = match runs(Service::Shipping) {
            true => Some(
                shipping::Shipping::build(&settings.shipping, bus.clone())
                    .await
                    .context("start shipping")?
                    .with_faults(faults.clone()),
            ),
            false => None,
        };
        let catalog_transport = wiring.transport(
            "catalog",
            catalog.as_ref().map(|catalog| Routes::new(catalog.grpc())),
        )?;
        let cart = match runs(Service::Cart) {
            true => Some(
                cart::Cart::build(&settings.cart, catalog_transport.clone())
                    .await
                    .context("start cart")?,
            ),
            false => None,
        };
        let cart_transport =
            wiring.transport("cart", cart.as_ref().map(|cart| Routes::new(cart.grpc())))?;
        let orders = match runs(Service::Orders) {
            true => {
                let dependencies = orders::Dependencies {
                    cart: cart_transport.clone(),
                    catalog: catalog_transport.clone(),
                    inventory: wiring.transport(
                        "inventory",
                        inventory
                            .as_ref()
                            .map(|inventory| Routes::new(inventory.grpc())),
                    )?,
                    payments: wiring.transport(
                        "payments",
                        payments
                            .as_ref()
                            .map(|payments| Routes::new(payments.grpc())),
                    )?,
                    shipping: wiring.transport(
                        "shipping",
                        shipping
                            .as_ref()
                            .map(|shipping| Routes::new(shipping.grpc())),
                    )?,
                    service_token: service_token(
                        identity.as_ref(),
                        &settings,
                        ORDERS_CLIENT_ID,
                        orders::SERVICE_SCOPES,
                    )?,
                    bus: bus.clone(),
                    faults: faults.clone(),
                };
                Some(
                    orders::Orders::build(&settings.orders, dependencies)
                        .await
                        .context("start orders")?,
                )
            }
            false => None,
        };

        let notifications = match runs(Service::Notifications) {
            true => {
                let dependencies = notifications::Dependencies {
                    identity: wiring.transport(
                        "identity",
                        identity
                            .as_ref()
                            .map(|identity| Routes::new(identity.grpc())),
                    )?,
                    service_token: service_token(
                        identity.as_ref(),
                        &settings,
                        NOTIFICATIONS_CLIENT_ID,
                        notifications::SERVICE_SCOPES,
                    )?,
                    bus: bus.clone(),
                };
                Some(
                    notifications::Notifications::build(&settings.notifications, dependencies)
                        .await
                        .context("start notifications")?,
                )
            }
            false => None,
        };

        let mut builder = Routes::builder();
        // The full names of the gRPC services this process serves, for reflection.
        let mut served: Vec<&'static str> = Vec::new();
        macro_rules! serve {
            ($service:expr) => {{
                let service = $service;
                served.push(named(&service));
                builder.add_service(service);
            }};
        }
        if let Some(identity) = &identity {
            serve!(identity.grpc());
        }
        if let Some(catalog) = &catalog {
            serve!(catalog.grpc());
        }
        if let Some(cart) = &cart {
            serve!(cart.grpc());
        }
        if let Some(inventory) = &inventory {
            serve!(inventory.grpc());
        }
        if let Some(payments) = &payments {
            serve!(payments.grpc());
        }
        if let Some(shipping) = &shipping {
            serve!(shipping.grpc());
        }
        if let Some(orders) = &orders {
            serve!(orders.grpc());
        }
        let reads_faults = |service: Service| platform::faults::OWNERS.contains(&service.name());
        if services.iter().any(|service| reads_faults(*service)) {
            serve!(gateway::faults::service(faults.clone()));
        }
        // Reflection (grpcurl, grpcui) describes what this process serves, from the same
        // descriptors the code was generated from; it needs no token. Both versions: older
        // clients ask v1alpha.
        if !served.is_empty() {
            let reflection = || {
                served.iter().fold(
                    tonic_reflection::server::Builder::configure()
                        .register_encoded_file_descriptor_set(proto::FILE_DESCRIPTOR_SET),
                    |reflection, name| reflection.with_service_name(*name),
                )
            };
            builder.add_service(
                reflection()
                    .build_v1()
                    .context("build the gRPC reflection service")?,
            );
            builder.add_service(
                reflection()
                    .build_v1alpha()
                    .context("build the gRPC reflection service (v1alpha)")?,
            );
        }
        let routes = builder.routes();

        // What the services do between requests: outbox relays, sweepers, the saga resumer.
        let mut background: Vec<Background> = Vec::new();
        if let Some(inventory) = inventory.clone() {
            background.push(Box::new(move |shutdown| {
                Box::pin(async move { inventory.run_background(shutdown).await })
            }));
        }
        if let Some(payments) = payments.clone() {
            background.push(Box::new(move |shutdown| {
                Box::pin(async move { payments.run_background(shutdown).await })
            }));
        }
        if let Some(shipping) = shipping.clone() {
            background.push(Box::new(move |shutdown| {
                Box::pin(async move { shipping.run_background(shutdown).await })
            }));
        }
        if let Some(orders) = orders.clone() {
            background.push(Box::new(move |shutdown| {
                Box::pin(async move { orders.run_background(shutdown).await })
            }));
        }
        if let Some(notifications) = &notifications {
            // Bind the durable consumer now, before any relay runs, so that no event is
            // published while nobody listens.
            let consuming = notifications.consume(Shutdown::new()).await?;
            background.push(Box::new(move |shutdown| {
                Box::pin(async move {
                    tokio::select! {
                        _ = consuming => {}
                        _ = shutdown.wait() => {}
                    }
                })
            }));
        }

        let readiness = Readiness::default();
        let mut app = platform::http::operational_routes(readiness.clone());
        if let Some(identity) = &identity {
            app = app.merge(identity.router());
        }
        if runs(Service::Gateway) {
            // Each service's fault switches: this process's own when the service runs here.
            let mut fault_switches = std::collections::BTreeMap::new();
            for service in Service::ALL
                .into_iter()
                .filter(|service| reads_faults(*service))
            {
                let local =
                    runs(service).then(|| Routes::new(gateway::faults::service(faults.clone())));
                fault_switches.insert(service.name(), wiring.transport(service.name(), local)?);
            }
            let dependencies = gateway::Dependencies {
                identity: wiring.transport(
                    "identity",
                    identity
                        .as_ref()
                        .map(|identity| Routes::new(identity.grpc())),
                )?,
                catalog: catalog_transport,
                cart: cart_transport,
                orders: wiring.transport(
                    "orders",
                    orders.as_ref().map(|orders| Routes::new(orders.grpc())),
                )?,
                service_token: service_token(
                    identity.as_ref(),
                    &settings,
                    GATEWAY_CLIENT_ID,
                    catalog::READ_SCOPE,
                )?,
                verifier,
                faults: fault_switches,
            };
            app = app.merge(gateway::router(&settings.gateway, dependencies)?);
        }
        let app = app
            .fallback(gateway::not_found)
            .layer(axum::middleware::from_fn(platform::http::observe));

        Ok(Node {
            http_listener,
            grpc_listener,
            app,
            routes,
            layer,
            server_tls,
            readiness,
            settings,
            first_start,
            identity,
            background,
        })
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
                self.layer,
                tls,
                shutdown.clone(),
            )),
            None => tokio::spawn(platform::grpc::serve(
                self.grpc_listener,
                self.routes,
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

/// How this process reaches a service: in-process when it runs here, over gRPC when not.
struct Wiring<'a> {
    /// The services of this process: a remote address is only read for what they call.
    services: &'a [Service],
    layer: ServerLayer,
    remote: &'a crate::settings::Remote,
    /// With mTLS, what calls to other processes present and trust.
    tls: Option<platform::tls::ClientTls>,
}

impl Wiring<'_> {
    fn transport(&self, name: &str, local: Option<Routes>) -> anyhow::Result<Transport> {
        if let Some(routes) = local {
            return Ok(platform::transport::in_process(routes, self.layer.clone()));
        }
        // Nothing here calls it: its address, if any, is neither read nor checked.
        let called = Service::ALL.iter().any(|callee| {
            callee.name() == name
                && callee
                    .callers()
                    .iter()
                    .any(|caller| self.services.contains(caller))
        });
        if !called {
            return Ok(platform::transport::missing(name));
        }
        let remote = match name {
            "identity" => &self.remote.identity_grpc,
            "catalog" => &self.remote.catalog_grpc,
            "cart" => &self.remote.cart_grpc,
            "inventory" => &self.remote.inventory_grpc,
            "payments" => &self.remote.payments_grpc,
            "shipping" => &self.remote.shipping_grpc,
            _ => &self.remote.orders_grpc,
        };
        if remote.is_empty() {
            // Nothing here needs it yet; a call will say what is missing.
            return Ok(platform::transport::missing(name));
        }
        match &self.tls {
            Some(tls) => platform::transport::network_tls(remote, tls),
            None => platform::transport::network(remote),
        }
    }
}

/// A service's own tokens: minted in-process when identity runs here, from the token endpoint
/// with this process's client credentials when not.
fn service_token(
    identity: Option<&identity::Identity>,
    settings: &Settings,
    client_id: &str,
    scope: &str,
) -> anyhow::Result<Arc<dyn TokenSource>> {
    Ok(match identity {
        Some(identity) => identity.token_source(client_id, scope),
        None => Arc::new(ClientCredentials::new(
            http_client()?,
            format!("{}/oauth2/token", remote_identity_http(settings)?),
            settings.remote.client_id.clone(),
            settings.remote.client_secret.clone(),
            scope.to_owned(),
        )),
    })
}

/// The full gRPC name of a generated server, such as `emporium.orders.v1.Orders`.
fn named<S: tonic::server::NamedService>(_service: &S) -> &'static str {
    S::NAME
}

fn http_client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?)
}

fn remote_identity_http(settings: &Settings) -> anyhow::Result<String> {
    anyhow::ensure!(
        !settings.remote.identity_http.is_empty(),
        "key `remote.identity_http`: identity runs elsewhere, so its URL is needed"
    );
    Ok(settings
        .remote
        .identity_http
        .trim_end_matches('/')
        .to_owned())
}

/// Creates the development user on first start, with a random password to print once.
async fn ensure_development_user(
    identity: &identity::Identity,
) -> anyhow::Result<Option<(String, String)>> {
    let password = random_secret(16);
    let created = identity
        .ensure_user(DEV_USER_EMAIL, &password, "Dev User")
        .await?;
    Ok(created.then(|| (DEV_USER_EMAIL.to_owned(), password)))
}

/// Registers the clients the shop needs: the admin client (its secret printed once) and the
/// gateway's own client for anonymous catalog reads.
/// The clients whose secrets an operator may choose, with the scopes each may ask for.
const SERVICE_CLIENTS: [(&str, &str); 4] = [
    (ADMIN_CLIENT_ID, ADMIN_SCOPES),
    (GATEWAY_CLIENT_ID, catalog::READ_SCOPE),
    (ORDERS_CLIENT_ID, orders::SERVICE_SCOPES),
    (NOTIFICATIONS_CLIENT_ID, notifications::SERVICE_SCOPES),
];

fn check_client_secrets(
    secrets: &std::collections::BTreeMap<String, platform::config::Secret>,
) -> anyhow::Result<()> {
    for (name, secret) in secrets {
        if !SERVICE_CLIENTS.iter().any(|(id, _)| id == name) {
            let known: Vec<&str> = SERVICE_CLIENTS.iter().map(|(id, _)| *id).collect();
            anyhow::bail!(
                "identity.client_secrets.{name}: no such client; the clients are {}",
                known.join(", ")
            );
        }
        anyhow::ensure!(
            secret.expose().chars().count() >= identity::MIN_CLIENT_SECRET_LEN,
            "identity.client_secrets.{name}: a secret needs at least {} characters",
            identity::MIN_CLIENT_SECRET_LEN
        );
    }
    Ok(())
}

async fn ensure_clients(
    identity: &identity::Identity,
    secrets: &std::collections::BTreeMap<String, platform::config::Secret>,
) -> anyhow::Result<(Option<(String, String)>, Option<(String, String)>)> {
    use identity::{ClientRegistration, GrantType};
    let mut fresh = std::collections::BTreeMap::new();
    for (client_id, scopes) in SERVICE_CLIENTS {
        let registration = ClientRegistration {
            client_id: client_id.to_owned(),
            confidential: true,
            redirect_uris: vec![],
            allowed_scopes: scopes.to_owned(),
            grant_types: vec![GrantType::ClientCredentials],
        };
        match secrets.get(client_id) {
            Some(secret) => identity
                .ensure_client_with_secret(registration, secret.expose())
                .await
                .with_context(|| format!("identity.client_secrets.{client_id}"))?,
            None => {
                if let Some(secret) = identity.ensure_client(registration).await? {
                    fresh.insert(client_id, secret);
                }
            }
        }
    }
    let admin = fresh.remove(ADMIN_CLIENT_ID);
    let gateway = fresh.remove(GATEWAY_CLIENT_ID);
    Ok((
        admin.map(|secret| (ADMIN_CLIENT_ID.to_owned(), secret)),
        gateway.map(|secret| (GATEWAY_CLIENT_ID.to_owned(), secret)),
    ))
}

fn random_secret(bytes: usize) -> String {
    use rand::Rng;
    let mut random = rand::rng();
    (0..bytes)
        .map(|_| format!("{:02x}", random.random::<u8>()))
        .collect()
}
