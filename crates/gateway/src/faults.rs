//! Fault switches across processes. Every process that runs a service with faults serves the
//! switches of its own process (`emporium.admin.v1.Faults`, [`service`]); the gateway's admin
//! endpoint sends each switch to the process of the service the fault belongs to, and lists
//! them by asking each of those processes. In one process every service's switch is the same
//! registry, reached in-process; apart, each is a gRPC call that carries the administrator's
//! token, which the owner checks for `admin.faults`.

use std::collections::BTreeMap;

use platform::error::Problem;
use platform::faults::{Fault, Faults};
use platform::transport::{Transport, request};
use proto::admin as pb;
use proto::admin::faults_client::FaultsClient;
use proto::admin::faults_server::FaultsServer;

/// The scope an administrator needs to switch faults.
pub(crate) const SCOPE: &str = "admin.faults";

/// This process's fault switches as a gRPC service.
pub fn service(faults: Faults) -> FaultsServer<Switches> {
    FaultsServer::new(Switches { faults })
}

/// The server side: one process's registry.
#[derive(Clone, Debug)]
pub struct Switches {
    faults: Faults,
}

#[tonic::async_trait]
impl pb::faults_server::Faults for Switches {
    async fn set_fault(
        &self,
        request: tonic::Request<pb::SetFaultRequest>,
    ) -> Result<tonic::Response<pb::SetFaultResponse>, tonic::Status> {
        platform::auth::authorize(&request, SCOPE)?;
        let message = request.into_inner();
        if platform::faults::owner(&message.name).is_none() {
            return Err(tonic::Status::invalid_argument(unknown(&message.name)));
        }
        let fault = message.fault.map(from_proto).transpose()?;
        self.faults.set(&message.name, fault);
        Ok(tonic::Response::new(pb::SetFaultResponse {}))
    }

    async fn list_faults(
        &self,
        request: tonic::Request<pb::ListFaultsRequest>,
    ) -> Result<tonic::Response<pb::ListFaultsResponse>, tonic::Status> {
        platform::auth::authorize(&request, SCOPE)?;
        let faults = self
            .faults
            .list()
            .into_iter()
            .map(|(name, fault)| (name, to_proto(&fault)))
            .collect();
        Ok(tonic::Response::new(pb::ListFaultsResponse { faults }))
    }
}

/// The client side: where each service's switches are.
#[derive(Clone)]
pub(crate) struct Owners {
    by_service: BTreeMap<&'static str, FaultsClient<Transport>>,
}

impl Owners {
    pub(crate) fn new(transports: BTreeMap<&'static str, Transport>) -> Owners {
        Owners {
            by_service: transports
                .into_iter()
                .map(|(service, transport)| (service, FaultsClient::new(transport)))
                .collect(),
        }
    }

    /// Switches `name` on with `fault`, or off with `None`, in the process that reads it.
    pub(crate) async fn set(
        &self,
        name: &str,
        fault: Option<Fault>,
        token: &str,
    ) -> Result<(), Problem> {
        let mut client = platform::faults::owner(name)
            .and_then(|service| self.by_service.get(service))
            .ok_or_else(|| Problem::bad_request(unknown(name)).with_kind("validation"))?
            .clone();
        let message = pb::SetFaultRequest {
            name: name.to_owned(),
            fault: fault.as_ref().map(to_proto),
        };
        client.set_fault(request(message, token)).await?;
        Ok(())
    }

    /// Every fault switched on, in every process that reads faults.
    pub(crate) async fn list(&self, token: &str) -> Result<BTreeMap<String, Fault>, Problem> {
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

fn unknown(name: &str) -> String {
    format!(
        "name: `{name}` is not a fault; known: {}",
        platform::faults::KNOWN.join(", ")
    )
}

fn to_proto(fault: &Fault) -> pb::Fault {
    let kind = match fault {
        Fault::Fail => pb::fault::Kind::Fail(pb::Fail {}),
        Fault::Delay { ms } => pb::fault::Kind::Delay(pb::Delay { ms: *ms }),
        Fault::CrashAfterStep { step } => {
            pb::fault::Kind::CrashAfterStep(pb::CrashAfterStep { step: *step })
        }
    };
    pb::Fault { kind: Some(kind) }
}

fn from_proto(fault: pb::Fault) -> Result<Fault, tonic::Status> {
    match fault.kind {
        Some(pb::fault::Kind::Fail(_)) => Ok(Fault::Fail),
        Some(pb::fault::Kind::Delay(delay)) => Ok(Fault::Delay { ms: delay.ms }),
        Some(pb::fault::Kind::CrashAfterStep(crash)) => {
            Ok(Fault::CrashAfterStep { step: crash.step })
        }
        None => Err(tonic::Status::invalid_argument(
            "fault: a fault needs a kind (fail, delay or crash_after_step)",
        )),
    }
}
