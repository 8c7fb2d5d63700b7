//! A process's fault switches as the gRPC service `emporium.admin.v1.Faults`, and the one
//! conversion between a `Fault` and its message. Every process that runs a service with faults
//! serves it; the gateway's admin endpoint is its client.

use proto::admin as pb;
use proto::admin::faults_server::FaultsServer;

use super::{Fault, Faults, KNOWN, owner};

/// This process's fault switches as a gRPC service.
pub fn server(faults: Faults) -> FaultsServer<Switches> {
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
        crate::auth::authorize(&request, proto::scopes::ADMIN_FAULTS)?;
        let message = request.into_inner();
        if owner(&message.name).is_none() {
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
        crate::auth::authorize(&request, proto::scopes::ADMIN_FAULTS)?;
        let faults = self
            .faults
            .list()
            .into_iter()
            .map(|(name, fault)| (name, to_proto(&fault)))
            .collect();
        Ok(tonic::Response::new(pb::ListFaultsResponse { faults }))
    }
}

/// The message for a name that is no fault, listing those that are.
pub fn unknown(name: &str) -> String {
    format!("name: `{name}` is not a fault; known: {}", KNOWN.join(", "))
}

pub fn to_proto(fault: &Fault) -> pb::Fault {
    let kind = match fault {
        Fault::Fail => pb::fault::Kind::Fail(pb::Fail {}),
        Fault::Delay { ms } => pb::fault::Kind::Delay(pb::Delay { ms: *ms }),
        Fault::CrashAfterStep { step } => {
            pb::fault::Kind::CrashAfterStep(pb::CrashAfterStep { step: *step })
        }
    };
    pb::Fault { kind: Some(kind) }
}

pub fn from_proto(fault: pb::Fault) -> Result<Fault, tonic::Status> {
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
