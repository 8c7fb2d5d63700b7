//! Fault switches across processes, the client side. Every process that runs a service with
//! faults serves the switches of its own process (`emporium.admin.v1.Faults`, `grpc.rs`); the
//! gateway's admin endpoint and the operations view send each switch to the process of the service the fault belongs to, and lists
//! them by asking each of those processes. In one process every service's switch is the same
//! registry, reached in-process; apart, each is a gRPC call that carries the administrator's
//! token, which the owner checks for `admin.faults`.

use std::collections::BTreeMap;

use super::Fault;
use super::grpc::{from_proto, to_proto, unknown};
use crate::error::Problem;
use crate::transport::{Transport, request};
use proto::admin as pb;
use proto::admin::faults_client::FaultsClient;

/// The client side: where each service's switches are.
#[derive(Clone)]
pub struct Owners {
    by_service: BTreeMap<&'static str, FaultsClient<Transport>>,
}

impl Owners {
    pub fn new(transports: BTreeMap<&'static str, Transport>) -> Owners {
        Owners {
            by_service: transports
                .into_iter()
                .map(|(service, transport)| (service, FaultsClient::new(transport)))
                .collect(),
        }
    }

    /// Switches `name` on with `fault`, or off with `None`, in the process that reads it.
    pub async fn set(&self, name: &str, fault: Option<Fault>, token: &str) -> Result<(), Problem> {
        let mut client = super::owner(name)
            .and_then(|service| self.by_service.get(service))
            .ok_or_else(|| Problem::not_found(unknown(name)).with_kind("not-found"))?
            .clone();
        let message = pb::SetFaultRequest {
            name: name.to_owned(),
            fault: fault.as_ref().map(to_proto),
        };
        client.set_fault(request(message, token)).await?;
        Ok(())
    }

    /// Every fault switched on, in every process that reads faults.
    pub async fn list(&self, token: &str) -> Result<BTreeMap<String, Fault>, Problem> {
        let asked = self.by_service.values().map(|client| {
            let mut client = client.clone();
            async move {
                client
                    .list_faults(request(pb::ListFaultsRequest {}, token))
                    .await
            }
        });
        let mut all = BTreeMap::new();
        for answer in futures_util::future::join_all(asked).await {
            for (name, fault) in answer?.into_inner().faults {
                all.insert(name, from_proto(fault)?);
            }
        }
        Ok(all)
    }
}
