//! Test fixtures shared by every crate's integration tests: fresh databases on SQLite and, when
//! `EMPORIUM_TEST_POSTGRES_URL` is set, PostgreSQL; a token issuer that signs like the identity
//! provider; and a service exposed over both transports, in-process and a real socket on port 0.

use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{EncodingKey, Header};
use platform::Shutdown;
use platform::auth::{AccessClaims, KeySource, Verifier, VerifierConfig};
use platform::grpc::ServerLayer;
use platform::transport::Transport;

/// The environment variable naming a PostgreSQL server for the tests that run on it.
pub const POSTGRES_URL_VARIABLE: &str = "EMPORIUM_TEST_POSTGRES_URL";
/// The base URL of a Chroma server for the vector index's tests (`.ci/run` starts one).
pub const CHROMA_URL_VARIABLE: &str = "EMPORIUM_TEST_CHROMA_URL";

pub const ISSUER: &str = "http://issuer.test";
pub const AUDIENCE: &str = "emporium";

/// Installs ring as rustls's crypto provider; safe to call many times.
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A free local address for a server a test starts later, in another process: a port below
/// the kernel's ephemeral range, so that no socket bound to port 0 and no outgoing connection
/// takes it in the meantime (which `unused_address` cannot promise). Random, bindable when
/// returned, and never handed out twice by this process: the clusters of a process per service that
/// tests start at once in one test binary drew the same random port often enough to fail CI.
pub fn reserved_address() -> std::net::SocketAddr {
    static HANDED_OUT: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    loop {
        let port = 20_000 + (uuid::Uuid::new_v4().as_u128() % 12_000) as u16;
        let mut handed_out = HANDED_OUT
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if handed_out.contains(&port) {
            continue;
        }
        if let Ok(listener) = std::net::TcpListener::bind(("127.0.0.1", port)) {
            handed_out.push(port);
            return listener
                .local_addr()
                .expect("a bound listener has an address");
        }
    }
}

/// A local address nothing listens on (it was free a moment ago): for tests of a server that is
/// away.
pub fn unused_address() -> std::net::SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free local port")
}

/// The engines to run a store's tests on: SQLite always, PostgreSQL when its variable is set.
pub fn engines() -> Vec<&'static str> {
    if std::env::var(POSTGRES_URL_VARIABLE).is_ok_and(|url| !url.is_empty()) {
        vec!["sqlite", "postgres"]
    } else {
        eprintln!(
            "{POSTGRES_URL_VARIABLE} is not set: the PostgreSQL variant of this test is skipped"
        );
        vec!["sqlite"]
    }
}

/// The Chroma server to run the vector index's tests against, when its variable is set.
pub fn chroma_url() -> Option<String> {
    let url = std::env::var(CHROMA_URL_VARIABLE)
        .ok()
        .filter(|url| !url.is_empty());
    if url.is_none() {
        eprintln!("{CHROMA_URL_VARIABLE} is not set: the Chroma variant of this test is skipped");
    }
    url
}

/// A database url for a fresh, empty database on `engine`: a file in a new temporary folder,
/// or a new database on the PostgreSQL server.
pub async fn fresh_database_url(engine: &str) -> anyhow::Result<String> {
    match engine {
        "sqlite" => {
            let folder = scratch_dir("database");
            Ok(format!("sqlite://{}/test.db", folder.display()))
        }
        "postgres" => {
            let server = std::env::var(POSTGRES_URL_VARIABLE)?;
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)?
                .as_secs();
            let name = format!("emporium_test_{now}_{}", uuid::Uuid::new_v4().simple());
            let mut connection = <sqlx::PgConnection as sqlx::Connection>::connect(&server).await?;
            drop_stale_databases(&mut connection, now).await;
            sqlx::Executor::execute(
                &mut connection,
                sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")),
            )
            .await?;
            let mut url = url_without_path(&server);
            url.push('/');
            url.push_str(&name);
            Ok(url)
        }
        other => anyhow::bail!("unknown engine {other}"),
    }
}

/// A new, empty folder for one test, under `emporium-tests` in the system's temporary folder.
/// A test cannot remove its folders when it ends (its servers may still be writing), so the
/// first call in a process removes those left there over `STALE_AFTER_SECONDS` ago: without
/// this, a machine that runs the tests day after day fills its disk with them.
pub fn scratch_dir(prefix: &str) -> std::path::PathBuf {
    static SWEPT: std::sync::Once = std::sync::Once::new();
    let root = std::env::temp_dir().join("emporium-tests");
    SWEPT.call_once(|| remove_stale_folders(&root));
    let folder = root.join(format!("{prefix}-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&folder).expect("make a scratch folder for a test");
    folder
}

/// Removes the folders in `root` last changed over `STALE_AFTER_SECONDS` ago; one that cannot
/// be removed is left for the next process.
fn remove_stale_folders(root: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    let stale = Duration::from_secs(STALE_AFTER_SECONDS);
    for entry in entries.flatten() {
        let old = entry
            .metadata()
            .and_then(|metadata| metadata.modified())
            .is_ok_and(|modified| modified.elapsed().unwrap_or_default() > stale);
        if old {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Test databases and scratch folders older than this are dropped when a test process makes its
/// first one. A test cannot drop its database when it ends (nothing async runs at exit), and
/// without this a developer's server collects thousands, which costs PostgreSQL's background
/// workers CPU.
const STALE_AFTER_SECONDS: u64 = 3600;

/// Drops the test databases made over `STALE_AFTER_SECONDS` before `now`, once per process;
/// those named without a time (made before names carried one) go too. A failure leaves them
/// for the next process.
async fn drop_stale_databases(connection: &mut sqlx::PgConnection, now: u64) {
    static DONE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if DONE.swap(true, std::sync::atomic::Ordering::Relaxed) {
        return;
    }
    let Ok(names) = sqlx::query_scalar::<_, String>(
        "SELECT datname FROM pg_database WHERE datname LIKE 'emporium\\_test\\_%' OR datname LIKE 'identity\\_it\\_%'",
    )
    .fetch_all(&mut *connection)
    .await
    else {
        return;
    };
    for name in names {
        let made = name
            .strip_prefix("emporium_test_")
            .and_then(|rest| rest.split_once('_'))
            .and_then(|(seconds, _)| seconds.parse::<u64>().ok());
        if made.is_some_and(|made| made + STALE_AFTER_SECONDS > now) {
            continue;
        }
        // The names are ours: a prefix, digits and hex.
        let _ = sqlx::Executor::execute(
            &mut *connection,
            sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS \"{name}\"")),
        )
        .await;
    }
}

fn url_without_path(server: &str) -> String {
    // postgres://user:pass@host:port/db?params -> postgres://user:pass@host:port
    let after_scheme = server.find("://").map_or(0, |index| index + 3);
    match server[after_scheme..].find('/') {
        Some(slash) => server[..after_scheme + slash].to_owned(),
        None => server.split('?').next().unwrap_or(server).to_owned(),
    }
}

/// Signs access tokens the way the identity provider does, for tests of other services.
#[derive(Clone)]
pub struct TestIssuer {
    encoding_key: EncodingKey,
    jwks: JwkSet,
    kid: String,
}

impl std::fmt::Debug for TestIssuer {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("TestIssuer")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl Default for TestIssuer {
    fn default() -> TestIssuer {
        TestIssuer::new()
    }
}

impl TestIssuer {
    pub fn new() -> TestIssuer {
        let key = platform::auth::generate_signing_key().expect("generate a signing key");
        let encoding_key = EncodingKey::from_ed_der(&key.pkcs8);
        let kid = uuid::Uuid::new_v4().simple().to_string();
        let jwk = platform::auth::public_jwk(&kid, &key.public_key);
        TestIssuer {
            encoding_key,
            jwks: JwkSet { keys: vec![jwk] },
            kid,
        }
    }

    /// A verifier that trusts this issuer.
    pub fn verifier(&self) -> Verifier {
        let jwks = self.jwks.clone();
        Verifier::new(
            VerifierConfig {
                issuer: ISSUER.to_owned(),
                audience: AUDIENCE.to_owned(),
                min_refetch_interval: Duration::ZERO,
            },
            KeySource::InProcess(Arc::new(move || jwks.clone())),
        )
    }

    /// A user's access token with `scope`, valid for fifteen minutes.
    pub fn user_token(&self, user_id: &str, scope: &str) -> String {
        self.sign(self.claims(user_id, scope))
    }

    /// A client-credentials token for `client_id` with `scope`.
    pub fn service_token(&self, client_id: &str, scope: &str) -> String {
        let mut token_claims = self.claims(client_id, scope);
        token_claims.client_id = client_id.to_owned();
        self.sign(token_claims)
    }

    fn claims(&self, subject: &str, scope: &str) -> AccessClaims {
        AccessClaims {
            iss: ISSUER.to_owned(),
            nbf: None,
            sub: subject.to_owned(),
            aud: AUDIENCE.to_owned(),
            exp: platform::unix_now() + 900,
            iat: platform::unix_now(),
            jti: uuid::Uuid::new_v4().to_string(),
            client_id: "test-client".to_owned(),
            scope: scope.to_owned(),
        }
    }

    /// The id of this issuer's key.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key, as the issuer publishes it.
    pub fn jwks(&self) -> JwkSet {
        self.jwks.clone()
    }

    /// The claims of a user's access token with `scope`, valid for fifteen minutes, to change
    /// before `sign`.
    pub fn user_claims(&self, user_id: &str, scope: &str) -> AccessClaims {
        self.claims(user_id, scope)
    }

    /// Signs any JSON claims with this issuer's key under any header (EdDSA is the key's
    /// algorithm): for tokens that must be refused for what they say, not for their signature.
    pub fn sign_with(&self, header: &Header, claims: &serde_json::Value) -> String {
        jsonwebtoken::encode(header, claims, &self.encoding_key).expect("sign a token")
    }

    /// Signs any claims with this issuer's key and the access-token header.
    pub fn sign(&self, claims: AccessClaims) -> String {
        let mut header = Header::new(jsonwebtoken::Algorithm::EdDSA);
        header.typ = Some(platform::auth::ACCESS_TOKEN_TYPE.to_owned());
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.encoding_key).expect("sign a token")
    }
}

/// Both transports to the same services: in-process, and gRPC over a real socket on port 0.
#[derive(Debug)]
pub struct BothTransports {
    pub in_process: Transport,
    pub network: Transport,
    pub shutdown: Shutdown,
}

impl BothTransports {
    /// `(name, transport)` pairs, for contract tests that must pass on each.
    pub fn each(&self) -> [(&'static str, Transport); 2] {
        [
            ("in-process", self.in_process.clone()),
            ("network", self.network.clone()),
        ]
    }
}

impl Drop for BothTransports {
    fn drop(&mut self) {
        self.shutdown.trigger();
    }
}

/// Serves `routes` behind `layer` in-process and on `127.0.0.1:0`.
pub async fn both_transports(
    routes: tonic::service::Routes,
    layer: ServerLayer,
) -> anyhow::Result<BothTransports> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let shutdown = Shutdown::new();
    tokio::spawn(platform::grpc::serve(
        listener,
        routes.clone(),
        Vec::new(),
        layer.clone(),
        shutdown.clone(),
    ));
    Ok(BothTransports {
        in_process: platform::transport::in_process(routes, layer),
        network: platform::transport::network(&format!("http://{address}"))?,
        shutdown,
    })
}

/// A token source that always hands out the same token, for a service's own calls in tests.
#[derive(Debug)]
pub struct StaticToken(pub Arc<str>);

impl platform::auth::TokenSource for StaticToken {
    fn token(&self) -> futures_util::future::BoxFuture<'_, Result<Arc<str>, tonic::Status>> {
        let token = self.0.clone();
        Box::pin(async move { Ok(token) })
    }
}
