//! The functions service over gRPC, on every engine and both transports: deploying versions
//! (and refusing modules that may not run), traffic splits and rollbacks, triggers, what the
//! processes that run functions read (deployments as they change, modules, key-value spaces),
//! invocations reported and the usage made of them, and the scopes each call needs.

mod deploy;
mod events;
mod running;
mod webhooks;

use std::sync::Arc;

use functions::{Config, Functions};
use platform::Shutdown;
use platform::bus::InProcessBus;
use platform::grpc::ServerLayer;
use platform::transport::Transport;
use proto::functions as pb;
use proto::functions::functions_client::FunctionsClient;
use test_support::{BothTransports, TestIssuer};

pub struct TestService {
    pub functions: Functions,
    pub transports: BothTransports,
    pub issuer: TestIssuer,
    pub bus: InProcessBus,
    shutdown: Shutdown,
}

impl Drop for TestService {
    fn drop(&mut self) {
        self.shutdown.trigger();
    }
}

impl TestService {
    pub async fn spawn(engine: &str) -> TestService {
        TestService::spawn_with(engine, Config::default()).await
    }

    /// The service with `config` (its database made fresh), its consumer, worker, runner and
    /// relay running on an in-process bus.
    pub async fn spawn_with(engine: &str, config: Config) -> TestService {
        let config = Config {
            database_url: test_support::fresh_database_url(engine).await.unwrap(),
            ..config
        };
        TestService::start(config).await
    }

    /// The service on the database `config` names, as it is: a restart when another service
    /// used it before.
    pub async fn start(config: Config) -> TestService {
        test_support::install_crypto();
        let issuer = TestIssuer::new();
        let layer = ServerLayer::new(issuer.verifier(), &[]);
        let bus = InProcessBus::new();
        let functions = Functions::build(&config, Arc::new(bus.clone()))
            .await
            .unwrap();
        let shutdown = Shutdown::new();
        tokio::spawn(functions.consume(shutdown.clone()).await.unwrap());
        tokio::spawn(functions.clone().deliver(shutdown.clone()));
        tokio::spawn(functions.clone().send_webhooks(shutdown.clone()));
        tokio::spawn(functions.clone().keep_runner_current(shutdown.clone()));
        tokio::spawn(functions.clone().report(shutdown.clone()));
        let relay = functions.clone();
        let relay_shutdown = shutdown.clone();
        tokio::spawn(async move { relay.outbox().run_relay(relay_shutdown).await });
        let routes = tonic::service::Routes::new(functions.grpc());
        let transports = test_support::both_transports(routes, layer).await.unwrap();
        TestService {
            functions,
            transports,
            issuer,
            bus,
            shutdown,
        }
    }

    pub fn admin_token(&self) -> String {
        self.issuer
            .service_token("admin", proto::scopes::FUNCTIONS_ADMIN)
    }

    pub fn runner_token(&self) -> String {
        self.issuer
            .service_token("gateway", proto::scopes::FUNCTIONS_RUN)
    }
}

pub fn client(transport: &Transport) -> FunctionsClient<Transport> {
    FunctionsClient::new(transport.clone())
        .max_decoding_message_size(16 * 1024 * 1024)
        .max_encoding_message_size(16 * 1024 * 1024)
}

/// An example function from `guests/wasm`.
pub fn example(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../guests/wasm/{name}.wasm",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|error| panic!("read {path}: {error}"))
}

pub fn deploy_request(name: &str, module: Vec<u8>) -> pb::DeployRequest {
    pb::DeployRequest {
        name: name.to_owned(),
        module,
        limits: None,
        grants: Some(pb::Grants::default()),
        note: String::new(),
        keep_traffic: false,
    }
}

pub fn traffic(function: &pb::Function) -> Vec<(u32, u32)> {
    function
        .traffic
        .iter()
        .map(|share| (share.version, share.percent))
        .collect()
}
