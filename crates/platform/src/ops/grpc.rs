//! A process's operations view as the gRPC service `emporium.admin.v1.Operations`; every
//! method needs `admin.ops`. The gateway is its client.

use proto::admin as pb;
use proto::admin::operations_server::OperationsServer;
use tonic::{Request, Response, Status};

use super::Ops;
use crate::telemetry::ring::{FinishedSpan, TraceRing, TraceSummary};

/// The most traces of each list one call returns.
const MOST_TRACES: u32 = 100;

/// This process's operations view as a gRPC service.
pub fn server(ops: Ops) -> OperationsServer<OperationsService> {
    OperationsServer::new(OperationsService { ops })
}

/// The server side.
#[derive(Clone, Debug)]
pub struct OperationsService {
    ops: Ops,
}

#[tonic::async_trait]
impl pb::operations_server::Operations for OperationsService {
    async fn get_snapshot(
        &self,
        request: Request<pb::GetSnapshotRequest>,
    ) -> Result<Response<pb::Snapshot>, Status> {
        crate::auth::authorize(&request, proto::scopes::ADMIN_OPS)?;
        Ok(Response::new(self.ops.snapshot().await))
    }

    async fn list_traces(
        &self,
        request: Request<pb::ListTracesRequest>,
    ) -> Result<Response<pb::ListTracesResponse>, Status> {
        crate::auth::authorize(&request, proto::scopes::ADMIN_OPS)?;
        let limit = match request.get_ref().limit {
            0 => 20,
            asked => asked.min(MOST_TRACES),
        } as usize;
        let ring = TraceRing::global();
        Ok(Response::new(pb::ListTracesResponse {
            recent: ring.recent(limit).into_iter().map(summary).collect(),
            slowest: ring.slowest(limit).into_iter().map(summary).collect(),
            process_id: self.ops.process_id().to_owned(),
        }))
    }

    async fn get_trace(
        &self,
        request: Request<pb::GetTraceRequest>,
    ) -> Result<Response<pb::GetTraceResponse>, Status> {
        crate::auth::authorize(&request, proto::scopes::ADMIN_OPS)?;
        let trace_id = parse_trace_id(&request.get_ref().trace_id)?;
        let (spans, truncated) = TraceRing::global().trace(trace_id).unwrap_or_default();
        Ok(Response::new(pb::GetTraceResponse {
            spans: spans.into_iter().map(span).collect(),
            truncated,
            process_id: self.ops.process_id().to_owned(),
        }))
    }

    async fn replay_dead_letter(
        &self,
        request: Request<pb::ReplayDeadLetterRequest>,
    ) -> Result<Response<pb::ReplayDeadLetterResponse>, Status> {
        crate::auth::authorize(&request, proto::scopes::ADMIN_OPS)?;
        let message = request.get_ref();
        match self.ops.replay(&message.consumer, &message.event_id).await {
            Ok(()) => Ok(Response::new(pb::ReplayDeadLetterResponse {})),
            Err(crate::bus::BusError::NotFound(what)) => Err(Status::not_found(what)),
            Err(error) => Err(Status::unavailable(error.to_string())),
        }
    }
}

/// A trace id as the API takes it: 32 hex digits, not all zero.
pub fn parse_trace_id(text: &str) -> Result<u128, Status> {
    let valid = text.len() == 32 && text.bytes().all(|byte| byte.is_ascii_hexdigit());
    u128::from_str_radix(text, 16)
        .ok()
        .filter(|id| valid && *id != 0)
        .ok_or_else(|| {
            Status::invalid_argument(format!(
                "trace_id: `{text}` is not a trace id (32 hex digits, not all zero)"
            ))
        })
}

fn summary(trace: TraceSummary) -> pb::TraceSummary {
    pb::TraceSummary {
        trace_id: trace.trace_id,
        root: trace.root,
        start_unix_nanos: trace.start_unix_nanos,
        duration_nanos: trace.duration_nanos,
        spans: trace.spans as u32,
        error: trace.error,
    }
}

fn span(span: FinishedSpan) -> pb::Span {
    pb::Span {
        trace_id: span.trace_id,
        span_id: span.span_id,
        parent_span_id: span.parent_span_id,
        name: span.name,
        kind: span.kind.to_owned(),
        service: span.service,
        start_unix_nanos: span.start_unix_nanos,
        duration_nanos: span.duration_nanos,
        error: span.error,
        status_message: span.status_message,
        attributes: span.attributes.into_iter().collect(),
        links: span
            .links
            .into_iter()
            .map(|(trace_id, span_id)| format!("{trace_id}:{span_id}"))
            .collect(),
    }
}
