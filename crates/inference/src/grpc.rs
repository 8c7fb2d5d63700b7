//! The `Inference` gRPC service: proto messages in, one call to the service, proto messages
//! out. Embedding needs `inference`, listing the models `inference` or `models.admin`, and
//! changing the registry `models.admin`.

use proto::inference as pb;
use proto::inference::inference_server::{Inference as InferenceRpc, InferenceServer};
use proto::scopes::{INFERENCE, MODELS_ADMIN};
use tonic::{Request, Response, Status};

use crate::Inference;
use crate::domain::{Traffic, Version};
use crate::registry::Model;

/// The gRPC face of `Inference`.
#[derive(Clone, Debug)]
pub struct InferenceGrpc {
    inference: Inference,
}

impl InferenceGrpc {
    pub(crate) fn server(inference: Inference) -> InferenceServer<Self> {
        // 2,048 texts of up to 32 KiB each, or as many vectors back.
        InferenceServer::new(InferenceGrpc { inference })
            .max_decoding_message_size(80 * 1024 * 1024)
            .max_encoding_message_size(80 * 1024 * 1024)
    }
}

#[tonic::async_trait]
impl InferenceRpc for InferenceGrpc {
    async fn embed(
        &self,
        request: Request<pb::EmbedRequest>,
    ) -> Result<Response<pb::EmbedResponse>, Status> {
        platform::auth::authorize(&request, INFERENCE)?;
        let pb::EmbedRequest { model, inputs } = request.into_inner();
        let embedded = self.inference.embed(&model, inputs).await?;
        Ok(Response::new(pb::EmbedResponse {
            model: embedded.model,
            version: embedded.version,
            embeddings: embedded
                .vectors
                .into_iter()
                .map(|values| pb::Embedding { values })
                .collect(),
            prompt_tokens: u32::try_from(embedded.prompt_tokens).unwrap_or(u32::MAX),
        }))
    }

    type ChatStream = tokio_stream::wrappers::ReceiverStream<Result<pb::ChatChunk, Status>>;

    async fn chat(
        &self,
        request: Request<pb::ChatRequest>,
    ) -> Result<Response<Self::ChatStream>, Status> {
        let caller = platform::auth::authorize(&request, INFERENCE)?
            .subject()
            .to_owned();
        let chunks = self.inference.chat(&caller, request.into_inner()).await?;
        Ok(Response::new(tokio_stream::wrappers::ReceiverStream::new(
            chunks,
        )))
    }

    async fn append_to_conversation(
        &self,
        request: Request<pb::AppendToConversationRequest>,
    ) -> Result<Response<pb::Conversation>, Status> {
        let owner = platform::auth::authorize(&request, INFERENCE)?
            .subject()
            .to_owned();
        let asked = request.into_inner();
        let conversation = self.inference.append_to_conversation(&owner, asked).await?;
        Ok(Response::new(conversation))
    }

    async fn get_conversation(
        &self,
        request: Request<pb::GetConversationRequest>,
    ) -> Result<Response<pb::Conversation>, Status> {
        let owner = platform::auth::authorize(&request, INFERENCE)?
            .subject()
            .to_owned();
        let id = request.into_inner().id;
        Ok(Response::new(
            self.inference.conversation(&owner, &id).await?,
        ))
    }

    async fn list_models(
        &self,
        request: Request<pb::ListModelsRequest>,
    ) -> Result<Response<pb::ModelList>, Status> {
        // An operator reads the registry with `models.admin` alone.
        platform::auth::authorize_any(&request, &[INFERENCE, MODELS_ADMIN])?;
        let models = self
            .inference
            .models()
            .into_iter()
            .map(|(name, model)| {
                let drift = self.inference.drift();
                let mut listed = model_of(name, model);
                listed.drift = drift
                    .into_iter()
                    .filter(|report| report.model == listed.name)
                    .map(drift_of)
                    .collect();
                listed
            })
            .collect();
        Ok(Response::new(pb::ModelList { models }))
    }

    async fn promote(
        &self,
        request: Request<pb::PromoteRequest>,
    ) -> Result<Response<pb::Model>, Status> {
        platform::auth::authorize(&request, MODELS_ADMIN)?;
        let pb::PromoteRequest { model, version } = request.into_inner();
        let changed = self.inference.promote(&model, version).await?;
        Ok(Response::new(model_of(model, changed)))
    }

    async fn roll_back(
        &self,
        request: Request<pb::RollBackRequest>,
    ) -> Result<Response<pb::Model>, Status> {
        platform::auth::authorize(&request, MODELS_ADMIN)?;
        let model = request.into_inner().model;
        let changed = self.inference.roll_back(&model).await?;
        Ok(Response::new(model_of(model, changed)))
    }

    async fn retire(
        &self,
        request: Request<pb::RetireRequest>,
    ) -> Result<Response<pb::Model>, Status> {
        platform::auth::authorize(&request, MODELS_ADMIN)?;
        let pb::RetireRequest { model, version } = request.into_inner();
        let changed = self.inference.retire(&model, version).await?;
        Ok(Response::new(model_of(model, changed)))
    }

    async fn set_traffic(
        &self,
        request: Request<pb::SetTrafficRequest>,
    ) -> Result<Response<pb::Model>, Status> {
        platform::auth::authorize(&request, MODELS_ADMIN)?;
        let pb::SetTrafficRequest { model, traffic } = request.into_inner();
        let traffic = traffic.unwrap_or_default();
        let traffic = Traffic {
            canary: (traffic.canary_version > 0)
                .then_some((traffic.canary_version, traffic.canary_basis_points)),
            shadow: (traffic.shadow_version > 0).then_some(traffic.shadow_version),
        };
        let changed = self.inference.set_traffic(&model, traffic).await?;
        Ok(Response::new(model_of(model, changed)))
    }
}

fn model_of(name: String, model: Model) -> pb::Model {
    let (canary_version, canary_basis_points) = model.traffic.canary.unwrap_or((0, 0));
    pb::Model {
        name,
        kind: model.kind,
        versions: model.versions.into_iter().map(version_of).collect(),
        traffic: Some(pb::Traffic {
            canary_version,
            canary_basis_points,
            shadow_version: model.traffic.shadow.unwrap_or(0),
        }),
        drift: Vec::new(),
    }
}

fn drift_of(report: crate::DriftReport) -> pb::Drift {
    pb::Drift {
        version: report.version,
        observed: report.observed,
        reference_taken: report.reference_taken,
        features: report
            .features
            .into_iter()
            .filter_map(|(feature, index)| Some((feature, index?)))
            .collect(),
        centroid_distance: report.centroid_distance.unwrap_or(-1.0),
        drifted: report.drifted,
    }
}

fn version_of(version: Version) -> pb::ModelVersion {
    pb::ModelVersion {
        number: version.number,
        artefact: version.artefact,
        sha256: version.sha256,
        source: version.source,
        licence: version.licence,
        evaluation: version.evaluation.into_iter().collect(),
        stage: version.stage.as_str().to_owned(),
        created_at_unix_ms: version.created_at_ms,
        promoted_at_unix_ms: version.promoted_at_ms.unwrap_or(0),
    }
}
