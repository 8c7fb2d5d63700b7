//! The inference service's contract over both transports and both engines: the registry as
//! seeded, embeddings that name their version, the moves between stages, and the canary's share
//! and the shadow's silence.

use inference::{Config, EMBEDDING_MODEL, Inference};
use platform::grpc::ServerLayer;
use platform::transport::{Transport, request};
use proto::inference as pb;
use proto::inference::inference_client::InferenceClient;
use test_support::{BothTransports, TestIssuer};
use tonic::Code;

mod batching;
mod llm;
mod local_llm;

struct TestInference {
    config: Config,
    inference: Inference,
    transports: BothTransports,
    issuer: TestIssuer,
}

impl TestInference {
    async fn spawn(engine: &str) -> TestInference {
        TestInference::spawn_with(engine, Config::default()).await
    }

    async fn spawn_with(engine: &str, config: Config) -> TestInference {
        let config = Config {
            database_url: test_support::fresh_database_url(engine).await.unwrap(),
            ..config
        };
        let mut config = config;
        if config.llm.local.model == "auto" {
            // A model installed on the machine must not change what a test sees.
            config.llm.local.model = "off".to_owned();
        }
        test_support::install_crypto();
        let inference = Inference::build(&config).await.unwrap();
        let issuer = TestIssuer::new();
        let layer = ServerLayer::new(issuer.verifier(), &[]);
        let routes = tonic::service::Routes::new(inference.grpc());
        let transports = test_support::both_transports(routes, layer).await.unwrap();
        TestInference {
            config,
            inference,
            transports,
            issuer,
        }
    }

    fn user(&self) -> String {
        self.issuer.user_token("user-1", "inference")
    }

    fn admin(&self) -> String {
        self.issuer
            .service_token("admin-cli", "inference models.admin")
    }
}

type Client = InferenceClient<Transport>;

async fn embed(
    client: &mut Client,
    token: &str,
    inputs: &[&str],
) -> Result<pb::EmbedResponse, tonic::Status> {
    let inputs = inputs.iter().map(|text| text.to_string()).collect();
    let message = pb::EmbedRequest {
        model: EMBEDDING_MODEL.to_owned(),
        inputs,
    };
    client
        .embed(request(message, token))
        .await
        .map(tonic::Response::into_inner)
}

async fn model(client: &mut Client, token: &str) -> pb::Model {
    let list = client
        .list_models(request(pb::ListModelsRequest {}, token))
        .await
        .unwrap();
    let models = list.into_inner().models;
    models
        .into_iter()
        .find(|model| model.name == EMBEDDING_MODEL)
        .expect("the embedding model is registered")
}

#[tokio::test]
async fn the_bundled_embedders_are_registered_and_every_vector_names_its_version() {
    for engine in test_support::engines() {
        let app = TestInference::spawn(engine).await;
        for (transport_name, transport) in app.transports.each() {
            let mut client = InferenceClient::new(transport);
            let registered = model(&mut client, &app.user()).await;
            assert_eq!(registered.kind, "embedding");
            let stages: Vec<(u32, &str)> = registered
                .versions
                .iter()
                .map(|v| (v.number, v.stage.as_str()))
                .collect();
            assert_eq!(
                stages,
                [(1, "production"), (2, "candidate")],
                "{engine}/{transport_name}"
            );
            let production = &registered.versions[0];
            assert_eq!(production.artefact, "minilm-static");
            assert_eq!(production.sha256.len(), 64);
            assert_eq!(production.licence, "Apache-2.0");
            assert!(production.evaluation.contains_key("ndcg@10"));
            assert!(production.promoted_at_unix_ms > 0);

            let answer = embed(
                &mut client,
                &app.user(),
                &["a linen apron", "cast iron pot"],
            )
            .await
            .unwrap();
            assert_eq!(answer.version, 1, "{engine}/{transport_name}");
            assert_eq!(answer.embeddings.len(), 2);
            assert_eq!(answer.embeddings[0].values.len(), 256);
            assert!(answer.prompt_tokens >= 4, "{}", answer.prompt_tokens);
        }
    }
}

#[tokio::test]
async fn bad_requests_are_refused_naming_the_problem_over_both_transports() {
    let app = TestInference::spawn("sqlite").await;
    for (transport_name, transport) in app.transports.each() {
        let mut client = InferenceClient::new(transport);
        let anonymous = client
            .embed(pb::EmbedRequest {
                model: EMBEDDING_MODEL.to_owned(),
                inputs: vec!["x".to_owned()],
            })
            .await
            .unwrap_err();
        assert_eq!(anonymous.code(), Code::Unauthenticated, "{transport_name}");
        let no_scope = app.issuer.user_token("user-1", "catalog.read");
        let denied = embed(&mut client, &no_scope, &["x"]).await.unwrap_err();
        assert_eq!(denied.code(), Code::PermissionDenied, "{transport_name}");
        let empty = embed(&mut client, &app.user(), &[]).await.unwrap_err();
        assert_eq!(empty.code(), Code::InvalidArgument);
        assert!(
            empty.message().starts_with("inputs:"),
            "{}",
            empty.message()
        );
        let blank = embed(&mut client, &app.user(), &["fine", "  "])
            .await
            .unwrap_err();
        assert!(
            blank.message().contains("text 1 is empty"),
            "{}",
            blank.message()
        );
        let unknown = client
            .embed(request(
                pb::EmbedRequest {
                    model: "gpt-9".to_owned(),
                    inputs: vec!["x".to_owned()],
                },
                &app.user(),
            ))
            .await
            .unwrap_err();
        assert_eq!(unknown.code(), Code::NotFound);
        assert!(unknown.message().contains("gpt-9"));
        let shopper_promotes = client
            .promote(request(
                pb::PromoteRequest {
                    model: EMBEDDING_MODEL.to_owned(),
                    version: 2,
                },
                &app.user(),
            ))
            .await
            .unwrap_err();
        assert_eq!(shopper_promotes.code(), Code::PermissionDenied);
    }
}

#[tokio::test]
async fn promote_roll_back_and_retire_move_the_answers_between_versions() {
    for engine in test_support::engines() {
        let app = TestInference::spawn(engine).await;
        let mut client = InferenceClient::new(app.transports.network.clone());
        let admin = app.admin();
        let name = || EMBEDDING_MODEL.to_owned();
        let promoted = client
            .promote(request(
                pb::PromoteRequest {
                    model: name(),
                    version: 2,
                },
                &admin,
            ))
            .await
            .unwrap()
            .into_inner();
        let stages: Vec<&str> = promoted.versions.iter().map(|v| v.stage.as_str()).collect();
        assert_eq!(stages, ["archived", "production"], "{engine}");
        let answer = embed(&mut client, &app.user(), &["a linen apron"])
            .await
            .unwrap();
        assert_eq!(
            (answer.version, answer.embeddings[0].values.len()),
            (2, 128),
            "{engine}"
        );

        let retire_production = client
            .retire(request(
                pb::RetireRequest {
                    model: name(),
                    version: 2,
                },
                &admin,
            ))
            .await
            .unwrap_err();
        assert_eq!(retire_production.code(), Code::InvalidArgument);
        assert!(
            retire_production.message().contains("in production"),
            "{}",
            retire_production.message()
        );

        let rolled = client
            .roll_back(request(pb::RollBackRequest { model: name() }, &admin))
            .await
            .unwrap()
            .into_inner();
        let stages: Vec<&str> = rolled.versions.iter().map(|v| v.stage.as_str()).collect();
        assert_eq!(stages, ["production", "archived"], "{engine}");
        assert_eq!(
            embed(&mut client, &app.user(), &["a linen apron"])
                .await
                .unwrap()
                .version,
            1
        );
        let nothing_before = client
            .roll_back(request(pb::RollBackRequest { model: name() }, &admin))
            .await
            .unwrap_err();
        assert!(
            nothing_before.message().contains("first in production"),
            "{}",
            nothing_before.message()
        );
        let missing = client
            .promote(request(
                pb::PromoteRequest {
                    model: name(),
                    version: 9,
                },
                &admin,
            ))
            .await
            .unwrap_err();
        assert!(
            missing.message().contains("no version 9"),
            "{}",
            missing.message()
        );

        // Another replica on the same database reads the registry as this one left it.
        let replica = Inference::build(&app.config).await.unwrap();
        let versions = &replica.models()[0].1.versions;
        assert_eq!(
            versions[0].stage,
            inference::domain::Stage::Production,
            "{engine}"
        );
        assert_eq!(
            versions[1].stage,
            inference::domain::Stage::Archived,
            "{engine}"
        );
    }
}

#[tokio::test]
async fn a_canary_answers_its_share_and_a_shadow_is_compared_but_never_returned() {
    let app = TestInference::spawn("sqlite").await;
    let mut client = InferenceClient::new(app.transports.in_process.clone());
    let admin = app.admin();
    let traffic = |canary_version, canary_basis_points, shadow_version| pb::SetTrafficRequest {
        model: EMBEDDING_MODEL.to_owned(),
        traffic: Some(pb::Traffic {
            canary_version,
            canary_basis_points,
            shadow_version,
        }),
    };
    let refused = client
        .set_traffic(request(traffic(1, 1_000, 0), &admin))
        .await
        .unwrap_err();
    assert!(
        refused
            .message()
            .starts_with("canary: version 1 is production"),
        "{}",
        refused.message()
    );
    let too_much = client
        .set_traffic(request(traffic(2, 6_000, 0), &admin))
        .await
        .unwrap_err();
    assert!(
        too_much.message().contains("1 to 5000"),
        "{}",
        too_much.message()
    );

    client
        .set_traffic(request(traffic(2, 1_000, 0), &admin))
        .await
        .unwrap();
    let user = app.user();
    let mut by_canary = 0;
    for n in 0..2_000 {
        let answer = embed(&mut client, &user, &[&format!("request {n}")])
            .await
            .unwrap();
        let dimensions = answer.embeddings[0].values.len();
        match answer.version {
            2 => {
                by_canary += 1;
                assert_eq!(dimensions, 128);
            }
            _ => assert_eq!(dimensions, 256),
        }
    }
    let share = by_canary as f64 / 2_000.0;
    assert!(
        (share - 0.10).abs() <= 0.02,
        "the canary answered {by_canary} of 2,000"
    );

    client
        .set_traffic(request(traffic(0, 0, 2), &admin))
        .await
        .unwrap();
    for n in 0..50 {
        let answer = embed(&mut client, &user, &[&format!("watched {n}")])
            .await
            .unwrap();
        assert_eq!(
            (answer.version, answer.embeddings[0].values.len()),
            (1, 256),
            "never the shadow's"
        );
    }
    // Every shadowed request is compared, or skipped and counted when the shadows are busy.
    let sample = |metrics: &str, name: &str, role: Option<&str>| -> f64 {
        metrics
            .lines()
            .filter(|line| line.starts_with(name) && line.contains(r#"version="2""#))
            .filter(|line| role.is_none_or(|role| line.contains(&format!(r#"role="{role}""#))))
            .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    };
    let (mut compared, mut skipped, mut agreement) = (0.0, 0.0, 0.0);
    for _ in 0..50 {
        let metrics = platform::telemetry::render_metrics();
        compared = sample(&metrics, "inference_shadow_agreement_count", None);
        agreement = sample(&metrics, "inference_shadow_agreement_sum", None);
        skipped = sample(&metrics, "inference_requests_total", Some("shadow_skipped"));
        if compared + skipped >= 50.0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        compared + skipped,
        50.0,
        "{compared} compared, {skipped} skipped"
    );
    assert!(compared >= 1.0);
    // Version 2 is version 1's first 128 dimensions: over those, the same direction.
    let mean = agreement / compared;
    assert!((mean - 1.0).abs() < 1e-3, "mean agreement {mean}");
}

/// Short shop queries like those the reference sees: two to four words.
fn short_query(n: usize) -> String {
    let words = [
        "linen", "apron", "cast", "iron", "pot", "green", "mug", "wool", "scarf", "lamp",
    ];
    let length = 2 + n % 3;
    (0..length)
        .map(|i| words[(n * 7 + i * 3) % words.len()])
        .collect::<Vec<_>>()
        .join(" ")
}

/// Long pasted paragraphs, as a client sending whole descriptions would.
fn long_text(n: usize) -> String {
    (0..(20 + n % 10))
        .map(|i| short_query(n + i))
        .collect::<Vec<_>>()
        .join(" ")
}

#[tokio::test]
async fn drifted_traffic_crosses_the_threshold_undrifted_stays_under_and_the_reference_survives_a_restart()
 {
    for engine in test_support::engines() {
        let config = Config {
            database_url: test_support::fresh_database_url(engine).await.unwrap(),
            drift_window: 100,
            ..Config::default()
        };
        let inference = Inference::build(&config).await.unwrap();
        let send = |texts: Vec<String>| {
            let inference = inference.clone();
            async move {
                for chunk in texts.chunks(10) {
                    inference
                        .embed(EMBEDDING_MODEL, chunk.to_vec())
                        .await
                        .unwrap();
                }
            }
        };
        send((0..100).map(short_query).collect()).await;
        let report = &inference.drift()[0];
        assert!(
            report.reference_taken,
            "{engine}: the first full window is the reference"
        );
        send((100..200).map(short_query).collect()).await;
        let report = &inference.drift()[0];
        let words = report.features["words"].unwrap();
        assert!(
            !report.drifted && words < 0.2,
            "{engine}: the same kind of traffic: {report:?}"
        );
        assert!(report.centroid_distance.unwrap() < 0.05, "{report:?}");

        send((0..100).map(long_text).collect()).await;
        let report = &inference.drift()[0];
        assert!(
            report.drifted,
            "{engine}: long texts took the window: {report:?}"
        );
        assert!(report.features["words"].unwrap() > 0.2, "{report:?}");
        let metrics = platform::telemetry::render_metrics();
        assert!(
            metrics
                .lines()
                .any(|line| line.starts_with("inference_drift{")
                    && line.contains(r#"feature="words""#)),
            "the index is exported"
        );

        // A restart measures against the reference kept, not against what it sees first.
        let restarted = Inference::build(&config).await.unwrap();
        for chunk in (0..100).map(long_text).collect::<Vec<_>>().chunks(10) {
            restarted
                .embed(EMBEDDING_MODEL, chunk.to_vec())
                .await
                .unwrap();
        }
        let report = &restarted.drift()[0];
        assert!(report.drifted, "{engine}: after a restart: {report:?}");
    }
}

#[tokio::test]
async fn two_replicas_changing_a_model_at_once_leave_it_one_production_version() {
    for engine in test_support::engines() {
        let config = Config {
            database_url: test_support::fresh_database_url(engine).await.unwrap(),
            ..Config::default()
        };
        let (one, other) = (
            Inference::build(&config).await.unwrap(),
            Inference::build(&config).await.unwrap(),
        );
        // Each decides on what is committed when it gets the model, not on what it read
        // before: as if one ran after the other. Promote, then retire: production cannot be
        // retired. Retire, then promote: an archived version is brought back.
        let (promoted, retired) = tokio::join!(
            one.promote(EMBEDDING_MODEL, 2),
            other.retire(EMBEDDING_MODEL, 2)
        );
        assert!(promoted.is_ok(), "{engine}: {promoted:?}");
        if let Err(refused) = &retired {
            assert!(
                refused.to_string().contains("in production"),
                "{engine}: {refused}"
            );
        }
        one.refresh().await.unwrap();
        let versions = &one.models()[0].1.versions;
        let production = versions
            .iter()
            .filter(|version| version.stage == inference::domain::Stage::Production)
            .count();
        assert_eq!(production, 1, "{engine}: {versions:?}");
        assert_eq!(
            versions[1].stage,
            inference::domain::Stage::Production,
            "{engine}"
        );
    }
}

#[tokio::test]
async fn weights_other_than_those_registered_are_refused_naming_both_checksums() {
    let config = Config {
        database_url: test_support::fresh_database_url("sqlite").await.unwrap(),
        ..Config::default()
    };
    Inference::build(&config).await.unwrap();
    // The registry says v1 was made from other weights than the binary carries.
    let database = platform::db::Database::connect(&config.database_url)
        .await
        .unwrap();
    let mut transaction = database.begin_write().await.unwrap();
    platform::db::query("UPDATE model_versions SET sha256 = $1 WHERE number = 1")
        .bind("0".repeat(64))
        .execute(&mut *transaction)
        .await
        .unwrap();
    transaction.commit().await.unwrap();

    let inference = Inference::build(&config).await.unwrap();
    let refused = inference
        .embed(EMBEDDING_MODEL, vec!["a linen apron".to_owned()])
        .await
        .unwrap_err();
    let status = tonic::Status::from(refused);
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert!(
        status
            .message()
            .contains("emporium-embed v1: the artefact minilm-static has sha256 752af54a")
            && status.message().contains(&"0".repeat(64)),
        "{}",
        status.message()
    );
}
