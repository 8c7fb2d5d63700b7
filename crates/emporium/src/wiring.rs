//! How a node reaches what its services call: in-process when the callee runs here, over gRPC
//! (with mTLS when it is set) when not; and where the services' own tokens come from.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use platform::auth::{ClientCredentials, TokenSource};
use platform::faults::Faults;
use platform::grpc::ServerLayer;
use platform::registry::{Built, Issuer, ServiceClient};
use platform::transport::Transport;
use tonic::service::Routes;

use crate::registry::Service;
use crate::settings::Remote;

/// The wiring of one node.
pub(crate) struct NodeWiring {
    /// The services of this process.
    pub services: Vec<Service>,
    pub layer: ServerLayer,
    pub remote: Remote,
    /// With mTLS, what calls to other processes present and trust.
    pub tls: Option<platform::tls::ClientTls>,
    pub faults: Faults,
    pub ops: platform::ops::Ops,
    /// The identity provider, once built, when it runs here.
    pub issuer: Arc<OnceLock<Arc<dyn Issuer>>>,
    /// The gRPC services of each service built so far.
    pub local: Mutex<HashMap<Service, Routes>>,
    /// What the services built so far share (`Built::share`).
    pub shared: Mutex<Vec<Arc<dyn Any + Send + Sync>>>,
}

impl NodeWiring {
    /// Makes `service`'s gRPC services, and what it shares, reachable in-process by those built
    /// after it.
    pub fn add_local(&self, service: Service, parts: &Built) {
        self.shared
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .extend(parts.shared.iter().cloned());
        let routes = parts
            .grpc
            .iter()
            .fold(Routes::default(), |routes, grpc| grpc.add_to(routes));
        self.local
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(service, routes);
    }

    fn service(name: &str) -> anyhow::Result<Service> {
        Service::from_name(name).ok_or_else(|| anyhow::anyhow!("no service `{name}` is registered"))
    }
}

impl platform::registry::Wiring for NodeWiring {
    fn shared(&self) -> Vec<Arc<dyn Any + Send + Sync>> {
        self.shared
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    fn local_layer(&self, name: &str) -> Option<ServerLayer> {
        let service = NodeWiring::service(name).ok()?;
        self.local
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .contains_key(&service)
            .then(|| self.layer.clone())
    }

    fn transport(&self, name: &str) -> anyhow::Result<Transport> {
        let service = NodeWiring::service(name)?;
        let local = self
            .local
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(&service)
            .cloned();
        if let Some(routes) = local {
            return Ok(platform::transport::in_process(routes, self.layer.clone()));
        }
        anyhow::ensure!(
            !self.services.contains(&service),
            "{name} runs here but was not built before its caller; the registry lists a service after what it calls"
        );
        let url = self.remote.grpc_url(service);
        if url.is_empty() {
            // A call will say what is missing.
            return Ok(platform::transport::missing(name));
        }
        match &self.tls {
            Some(tls) => platform::transport::network_tls(url, tls),
            None => platform::transport::network(url),
        }
    }

    fn faults_transport(&self, name: &str) -> anyhow::Result<Transport> {
        if self.services.contains(&NodeWiring::service(name)?) {
            let routes = Routes::new(platform::faults::grpc::server(self.faults.clone()));
            return Ok(platform::transport::in_process(routes, self.layer.clone()));
        }
        self.transport(name)
    }

    fn ops_transports(&self) -> anyhow::Result<Vec<Transport>> {
        let routes = Routes::new(platform::ops::grpc::server(self.ops.clone()));
        let mut transports = vec![platform::transport::in_process(routes, self.layer.clone())];
        for service in Service::ALL {
            let url = self.remote.grpc_url(*service);
            if self.services.contains(service) || url.is_empty() {
                continue;
            }
            transports.push(match &self.tls {
                Some(tls) => platform::transport::network_tls(url, tls)?,
                None => platform::transport::network(url)?,
            });
        }
        Ok(transports)
    }

    fn service_token(&self, client: ServiceClient) -> anyhow::Result<Arc<dyn TokenSource>> {
        if let Some(issuer) = self.issuer.get() {
            return Ok(issuer.token_source(client.id, &proto::scopes::joined(client.scopes)));
        }
        Ok(Arc::new(ClientCredentials::new(
            http_client()?,
            format!("{}/oauth2/token", remote_identity_http(&self.remote)?),
            self.remote.client_id.clone(),
            self.remote.client_secret.clone(),
            proto::scopes::joined(client.scopes),
        )))
    }
}

pub(crate) fn http_client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?)
}

/// The identity provider's URL, which a process that does not run identity needs.
pub(crate) fn remote_identity_http(remote: &Remote) -> anyhow::Result<String> {
    anyhow::ensure!(
        !remote.identity_http.is_empty(),
        "key `remote.identity_http`: identity runs elsewhere, so its URL is needed"
    );
    Ok(remote.identity_http.trim_end_matches('/').to_owned())
}
