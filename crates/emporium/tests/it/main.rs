//! End-to-end tests of the whole shop: in one process, with real HTTP and gRPC on port 0 and
//! real databases (SQLite, and PostgreSQL when `EMPORIUM_TEST_POSTGRES_URL` is set); and, for the
//! checkout suite, also as a process per service of the real binary (`cluster`, when
//! `EMPORIUM_TEST_NATS_URL` is set).

mod api;
mod assistant;
mod auth;
mod bench;
pub(crate) mod binary;
mod browser;
mod browser_e2e;
mod checkout;
mod cluster;
mod crash;
mod distributed;
mod doctor;
mod exemplars;
mod functions;
mod graphql;
mod images;
mod inference;
mod load;
mod load_shop;
mod mcp;
mod mtls;
mod operations;
mod ops_actions;
mod ops_view;
mod portal;
mod problems;
mod recommendations;
mod scaffold;
mod search;
mod search_quality;
mod session;
mod storefront;
mod telemetry;
mod telemetry_functions;

use emporium::{Node, Service, Settings};
use platform::Shutdown;

/// A running shop and what a client needs to use it.
pub struct TestShop {
    pub base_url: String,
    /// The gRPC port of the shop in one process.
    pub grpc_url: String,
    /// Where tokens come from: the shop itself in one process, the identity process apart.
    pub identity_url: String,
    pub http: reqwest::Client,
    pub admin_client: (String, String),
    pub user: (String, String),
    pub mailbox: notifications::mailbox::Mailbox,
    /// Where the storefront keeps the key that seals its session cookies (in one process).
    pub session_key_file: String,
    identity: Option<identity::Identity>,
    shutdown: Shutdown,
    cluster: Option<cluster::Cluster>,
    /// The admin client's tokens so far, by scope: a test asks for the same ones many times.
    admin_tokens: tokio::sync::Mutex<std::collections::HashMap<String, String>>,
}

impl Drop for TestShop {
    fn drop(&mut self) {
        self.shutdown.trigger();
    }
}

impl TestShop {
    pub async fn spawn(engine: &str) -> TestShop {
        TestShop::spawn_with(engine, |_| {}).await
    }

    /// A shop whose isolated settings `customize` changes before it starts.
    pub async fn spawn_with(engine: &str, customize: impl FnOnce(&mut Settings)) -> TestShop {
        test_support::install_crypto();
        telemetry::interested_everywhere();
        let mut settings = isolated(Settings::default(), engine).await;
        customize(&mut settings);
        let node = Node::build(settings, Service::ALL, |_, _| {})
            .await
            .unwrap();
        let base_url = node.settings.public_url.clone();
        let mailbox =
            notifications::mailbox::Mailbox::new(&node.settings.services.notifications.mailbox_dir);
        let grpc_url = format!("http://{}", node.grpc_address());
        let session_key_file = node
            .settings
            .services
            .gateway
            .storefront
            .session_key_file
            .clone();
        let admin_client = (
            emporium::ADMIN_CLIENT_ID.to_owned(),
            node.first_start.client_secrets[emporium::ADMIN_CLIENT_ID].clone(),
        );
        let user = node
            .first_start
            .user
            .clone()
            .expect("the development user is made on first start");
        let identity = node.service::<identity::Identity>().unwrap();
        let shutdown = Shutdown::new();
        tokio::spawn(node.run_until_stopped(shutdown.clone()));
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        TestShop {
            identity_url: base_url.clone(),
            base_url,
            grpc_url,
            http,
            admin_client,
            user,
            mailbox,
            session_key_file,
            identity: Some(identity),
            shutdown,
            cluster: None,
            admin_tokens: Default::default(),
        }
    }

    /// The shop as a process per service of the real binary (see `cluster`), each given `settings`
    /// (`EMPORIUM_...` variables), or `None` with a note when `EMPORIUM_TEST_NATS_URL` is not
    /// set: processes apart share no in-process bus.
    pub async fn distributed(settings: &[(&str, &str)]) -> Option<TestShop> {
        let Ok(nats) = std::env::var("EMPORIUM_TEST_NATS_URL") else {
            eprintln!(
                "EMPORIUM_TEST_NATS_URL is not set: the shop as a process per service is skipped"
            );
            return None;
        };
        let cluster = cluster::Cluster::start(&nats, settings).await;
        Some(TestShop {
            base_url: format!("http://{}", cluster.http["gateway"]),
            grpc_url: String::new(),
            identity_url: format!("http://{}", cluster.http["identity"]),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            admin_client: cluster.printed_pair("Admin client"),
            user: cluster.printed_pair("Development user"),
            mailbox: notifications::mailbox::Mailbox::new(
                cluster.dir.join("mailbox").display().to_string(),
            ),
            session_key_file: String::new(),
            identity: None,
            shutdown: Shutdown::new(),
            cluster: Some(cluster),
            admin_tokens: Default::default(),
        })
    }

    /// The identity service of a shop in this process.
    pub fn identity(&self) -> &identity::Identity {
        self.identity
            .as_ref()
            .expect("the shop runs in this process")
    }

    /// A channel to `service`'s gRPC port as an operator's tool has it: the shop's one port,
    /// or the service's own process with the `admin` certificate.
    pub fn operator(&self, service: &str) -> platform::transport::Transport {
        match &self.cluster {
            None => platform::transport::network(&self.grpc_url).unwrap(),
            Some(cluster) => {
                let tls =
                    platform::tls::ClientTls::load(&cluster.tls(emporium::ADMIN_IDENTITY)).unwrap();
                platform::transport::network_tls(
                    &format!("https://{}", cluster.grpc[service]),
                    &tls,
                )
                .unwrap()
            }
        }
    }

    /// Switches the fault `name` on with `fault` (`{"kind": "fail"}`, `{"kind": "delay",
    /// "ms": 300}`), or off with `None`, through the admin API.
    pub async fn switch_fault(&self, name: &str, fault: Option<serde_json::Value>) {
        let admin = self.admin_token_for("admin.faults").await;
        let url = self.url(&format!("/api/v1/admin/faults/{name}"));
        let request = match fault {
            Some(fault) => self.http.put(url).json(&fault),
            None => self.http.delete(url),
        };
        let response = request.bearer_auth(admin).send().await.unwrap();
        assert!(
            response.status().is_success(),
            "switch {name}: {}",
            response.status()
        );
    }

    /// The body of a GET of `path`, which must succeed.
    pub async fn get_text(&self, path: &str) -> String {
        let response = self.http.get(self.url(path)).send().await.unwrap();
        assert!(
            response.status().is_success(),
            "GET {path}: {}",
            response.status()
        );
        response.text().await.unwrap()
    }

    /// The body of a GET of `path` with the bearer `token`, which must succeed.
    pub async fn get_text_with(&self, path: &str, token: &str) -> String {
        let request = self.http.get(self.url(path)).bearer_auth(token);
        let response = request.send().await.unwrap();
        assert!(
            response.status().is_success(),
            "GET {path}: {}",
            response.status()
        );
        response.text().await.unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// `GET path` with `token` (or none), answered 200 with JSON.
    pub async fn get_json(&self, path: &str, token: Option<&str>) -> serde_json::Value {
        let mut request = self.http.get(self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.unwrap()
    }

    /// The development user's access token, by the REST login.
    pub async fn user_token(&self) -> String {
        let response = self
            .http
            .post(self.url("/api/v1/account/login"))
            .json(&serde_json::json!({"email": self.user.0, "password": self.user.1}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
        let body: serde_json::Value = response.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }

    /// The admin client's token, by the client-credentials grant at the token endpoint.
    pub async fn admin_token(&self) -> String {
        self.admin_token_for("catalog.read catalog.admin").await
    }

    /// An admin client's token for `scope`, by the client-credentials grant (once per scope).
    pub async fn admin_token_for(&self, scope: &str) -> String {
        let mut tokens = self.admin_tokens.lock().await;
        if let Some(token) = tokens.get(scope) {
            return token.clone();
        }
        let response = self
            .http
            .post(format!("{}/oauth2/token", self.identity_url))
            .basic_auth(&self.admin_client.0, Some(&self.admin_client.1))
            .form(&[("grant_type", "client_credentials"), ("scope", scope)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
        let body: serde_json::Value = response.json().await.unwrap();
        let token = body["access_token"].as_str().unwrap().to_owned();
        tokens.insert(scope.to_owned(), token.clone());
        token
    }
}

/// `settings` for a node of its own: ports 0, a fresh database for every service, small argon2
/// costs, and a data folder of its own for anything left unset.
pub async fn isolated(mut settings: Settings, engine: &str) -> Settings {
    test_support::install_crypto();
    settings.http_addr = "127.0.0.1:0".to_owned();
    settings.grpc_addr = "127.0.0.1:0".to_owned();
    settings.services.identity.argon2_memory_kib = 256;
    // A language model installed on the machine must not change what a test sees.
    settings.services.inference.llm.local.model = "off".to_owned();
    settings.data_dir = test_support::scratch_dir("it");
    for url in [
        &mut settings.services.identity.database_url,
        &mut settings.services.catalog.database_url,
        &mut settings.services.cart.database_url,
        &mut settings.services.inventory.database_url,
        &mut settings.services.payments.database_url,
        &mut settings.services.shipping.database_url,
        &mut settings.services.orders.database_url,
        &mut settings.services.recommendations.database_url,
    ] {
        *url = test_support::fresh_database_url(engine).await.unwrap();
    }
    settings
}

/// Asserts that `response` is a problem+json with `status` whose detail contains `needle`;
/// returns the problem.
pub async fn assert_problem(
    response: reqwest::Response,
    status: u16,
    needle: &str,
) -> serde_json::Value {
    let actual = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = response.text().await.unwrap();
    assert_eq!(actual, status, "{text}");
    assert_eq!(content_type, "application/problem+json", "{text}");
    let problem: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(problem["status"], status);
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains(needle),
        "`{detail}` should mention `{needle}`"
    );
    problem
}

/// An `http://` URL where nothing listens.
pub fn unused_http_url() -> String {
    format!("http://{}", test_support::unused_address())
}
