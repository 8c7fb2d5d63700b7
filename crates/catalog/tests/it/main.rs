//! The catalog's integration tests: its gRPC contract over both transports and both engines.

mod contract;
mod search;
mod search_index;
mod seed;

use catalog::{Catalog, Config};
use platform::grpc::ServerLayer;
use proto::catalog::catalog_client::CatalogClient;
use test_support::{BothTransports, TestIssuer};

/// A catalog on a fresh database on `engine`, served over both transports.
pub struct TestCatalog {
    pub catalog: Catalog,
    pub transports: BothTransports,
    pub issuer: TestIssuer,
    pub config: Config,
}

impl TestCatalog {
    pub async fn spawn(engine: &str) -> TestCatalog {
        let config = Config {
            database_url: test_support::fresh_database_url(engine).await.unwrap(),
            ..Config::default()
        };
        TestCatalog::spawn_with(&config).await
    }

    /// A catalog on `config`'s database (another replica, when one runs on it already).
    pub async fn spawn_with(config: &Config) -> TestCatalog {
        TestCatalog::serve(config, Catalog::build(config, None).await.unwrap()).await
    }

    /// A catalog on a fresh database on `engine` that publishes its changes on `bus`, with its
    /// background (the outbox's relay) running.
    pub async fn spawn_publishing(engine: &str, bus: &platform::bus::InProcessBus) -> TestCatalog {
        let config = Config {
            database_url: test_support::fresh_database_url(engine).await.unwrap(),
            ..Config::default()
        };
        let catalog = Catalog::build(&config, None)
            .await
            .unwrap()
            .with_events(std::sync::Arc::new(bus.clone()));
        let app = TestCatalog::serve(&config, catalog).await;
        let (background, shutdown) = (app.catalog.clone(), app.transports.shutdown.clone());
        tokio::spawn(async move { background.run_background(shutdown).await });
        app
    }

    async fn serve(config: &Config, catalog: Catalog) -> TestCatalog {
        test_support::install_crypto();
        let issuer = TestIssuer::new();
        let layer = ServerLayer::new(issuer.verifier(), &[]);
        let transports =
            test_support::both_transports(tonic::service::Routes::new(catalog.grpc()), layer)
                .await
                .unwrap();
        TestCatalog {
            catalog,
            transports,
            issuer,
            config: config.clone(),
        }
    }

    pub fn catalog_url(&self) -> &str {
        &self.config.database_url
    }

    pub fn reader_token(&self) -> String {
        self.issuer.user_token("user-1", "catalog.read")
    }

    pub fn admin_token(&self) -> String {
        self.issuer
            .service_token("admin-cli", "catalog.read catalog.admin")
    }
}

pub type Client = CatalogClient<platform::transport::Transport>;
