//! The recommendations service against a real catalog (seeded and embedded) and a real bus, on
//! every engine, over both transports: a scripted set of purchases and what the graph implies,
//! a redelivered event that changes nothing, for you, popular, similar, and refusals.

use std::sync::Arc;

use catalog_for_tests as catalog;
use events::Envelope;
use events::checkout::{Line, OrderCompleted};
use platform::Shutdown;
use platform::bus::{EventBus, InProcessBus};
use platform::grpc::ServerLayer;
use proto::recommendations as pb;
use proto::recommendations::recommendations_client::RecommendationsClient;
use recommendations::{Config, Recommendations};
use test_support::{BothTransports, TestIssuer};
use tonic::Code;

struct TestService {
    recommendations: Recommendations,
    transports: BothTransports,
    issuer: TestIssuer,
    bus: InProcessBus,
    shutdown: Shutdown,
}

impl Drop for TestService {
    fn drop(&mut self) {
        self.shutdown.trigger();
    }
}

impl TestService {
    async fn spawn(engine: &str) -> TestService {
        test_support::install_crypto();
        let issuer = TestIssuer::new();
        let layer = ServerLayer::new(issuer.verifier(), &[]);
        let catalog = catalog::Catalog::build(
            &catalog::Config {
                database_url: test_support::fresh_database_url("sqlite").await.unwrap(),
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
        catalog.seed_if_empty(|_, _| {}).await.unwrap();
        catalog.embed_missing(usize::MAX).await.unwrap();
        let catalog_transport = platform::transport::in_process(
            tonic::service::Routes::new(catalog.grpc()),
            layer.clone(),
        );
        let bus = InProcessBus::new();
        let config = Config {
            database_url: test_support::fresh_database_url(engine).await.unwrap(),
            ..Config::default()
        };
        let shared: Arc<dyn EventBus> = Arc::new(bus.clone());
        let recommendations = Recommendations::build(&config, catalog_transport, shared)
            .await
            .unwrap();
        let shutdown = Shutdown::new();
        tokio::spawn(recommendations.consume(shutdown.clone()).await.unwrap());
        let transports = test_support::both_transports(
            tonic::service::Routes::new(recommendations.grpc()),
            layer,
        )
        .await
        .unwrap();
        TestService {
            recommendations,
            transports,
            issuer,
            bus,
            shutdown,
        }
    }

    /// A confirmed (or failed) order of `user` for `skus`, as orders publishes it; returns
    /// once the consumer has taken it.
    async fn order(&self, user: &str, skus: &[&str], confirmed: bool) -> Envelope {
        let event = OrderCompleted {
            order_id: format!("order-{}", uuid::Uuid::new_v4().simple()),
            user_id: user.to_owned(),
            confirmed,
            failure_reason: String::new(),
            lines: skus
                .iter()
                .map(|sku| Line {
                    sku: (*sku).to_owned(),
                    quantity: 1,
                })
                .collect(),
        };
        let envelope = Envelope::new(uuid::Uuid::new_v4().to_string(), &event, 0);
        self.deliver(envelope.clone()).await;
        envelope
    }

    async fn deliver(&self, envelope: Envelope) {
        self.bus
            .publish(<OrderCompleted as events::Event>::SUBJECT, envelope)
            .await
            .unwrap();
    }

    fn reader(&self) -> String {
        self.issuer.service_token("gateway", "catalog.read")
    }
}

fn skus(list: &pb::RecommendationList) -> Vec<String> {
    list.recommendations
        .iter()
        .map(|recommendation| recommendation.product.as_ref().unwrap().sku.clone())
        .collect()
}

async fn also_bought(
    client: &mut RecommendationsClient<platform::transport::Transport>,
    token: &str,
    skus: &[&str],
) -> Result<pb::RecommendationList, tonic::Status> {
    let message = pb::AlsoBoughtRequest {
        skus: skus.iter().map(|sku| (*sku).to_owned()).collect(),
        limit: 10,
    };
    client
        .also_bought(platform::transport::request(message, token))
        .await
        .map(tonic::Response::into_inner)
}

// Five products of the seed (the names say what part each plays in the scripted orders).
const DRIPPER: &str = "COF-00001";
const GRINDER: &str = "COF-00002";
const FILTERS: &str = "COF-00003";
const MUG: &str = "COF-00004";
const APRON: &str = "KIT-00001";

#[tokio::test]
async fn also_bought_returns_what_the_purchases_imply_and_a_redelivered_event_changes_nothing() {
    for engine in test_support::engines() {
        let service = TestService::spawn(engine).await;
        // Three orders hold the dripper and the grinder, one the dripper and the filters, one
        // the grinder and a mug; one failed order holds the dripper and an apron.
        service.order("ada", &[DRIPPER, GRINDER], true).await;
        service
            .order("bob", &[DRIPPER, GRINDER, FILTERS], true)
            .await;
        let repeated = service.order("cy", &[DRIPPER, GRINDER], true).await;
        service.order("dee", &[GRINDER, MUG], true).await;
        service.order("eve", &[DRIPPER, APRON], false).await;
        let token = service.reader();
        for (name, transport) in service.transports.each() {
            let mut client = RecommendationsClient::new(transport);
            let found = also_bought(&mut client, &token, &[DRIPPER]).await.unwrap();
            // Direct: the grinder (3 orders), the filters (1); two hops: the mug (via the grinder).
            assert_eq!(skus(&found), [GRINDER, FILTERS, MUG], "{engine} {name}");
            assert!(
                found
                    .recommendations
                    .iter()
                    .all(|found| found.reason == "also_bought")
            );
            let scores: Vec<f64> = found
                .recommendations
                .iter()
                .map(|found| found.score)
                .collect();
            // The grinder: three orders with the dripper, and a quarter of a quarter of the walk
            // through the filters (a quarter of the dripper's orders, half of the filters').
            assert_eq!(scores[0], 3.0 + 0.25 * 0.25 * 0.5 * 1.0);
            assert!(scores[2] < scores[1], "two hops weigh less: {scores:?}");
        }
        let before = also_bought(
            &mut RecommendationsClient::new(service.transports.in_process.clone()),
            &token,
            &[DRIPPER],
        )
        .await
        .unwrap();
        for _ in 0..3 {
            service.deliver(repeated.clone()).await;
        }
        assert!(
            !service.recommendations.handle(&repeated).await.unwrap(),
            "{engine}: seen before"
        );
        let after = also_bought(
            &mut RecommendationsClient::new(service.transports.in_process.clone()),
            &token,
            &[DRIPPER],
        )
        .await
        .unwrap();
        assert_eq!(
            after, before,
            "{engine}: a redelivered order is counted once"
        );
        assert!(service.bus.dead_letters().is_empty());
    }
}

#[tokio::test]
async fn for_you_starts_from_the_users_own_orders_and_popular_counts_what_sold() {
    for engine in test_support::engines() {
        let service = TestService::spawn(engine).await;
        service.order("ada", &[DRIPPER, GRINDER], true).await;
        service.order("bob", &[GRINDER, MUG], true).await;
        service.order("cy", &[GRINDER], true).await;
        let mut client = RecommendationsClient::new(service.transports.network.clone());
        let ada = service.issuer.user_token("ada", "catalog.read orders");
        let for_ada = client
            .for_you(platform::transport::request(
                pb::ForYouRequest { limit: 5 },
                &ada,
            ))
            .await
            .unwrap()
            .into_inner();
        // Ada bought the dripper and the grinder; the grinder was bought with the mug.
        assert_eq!(skus(&for_ada), [MUG], "{engine}");
        assert_eq!(for_ada.recommendations[0].reason, "for_you");
        let newcomer = service.issuer.user_token("zed", "catalog.read orders");
        let for_zed = client
            .for_you(platform::transport::request(
                pb::ForYouRequest { limit: 2 },
                &newcomer,
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            skus(&for_zed),
            [GRINDER, DRIPPER],
            "{engine}: what sells, for someone new"
        );
        assert_eq!(for_zed.recommendations[0].reason, "popular");
        let popular = client
            .popular(platform::transport::request(
                pb::PopularRequest { limit: 0 },
                &service.reader(),
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(skus(&popular), [GRINDER, DRIPPER, MUG], "{engine}");
        assert_eq!(popular.recommendations[0].score, 3.0);
    }
}

#[tokio::test]
async fn similar_comes_from_the_catalogs_vectors_and_bad_calls_are_refused() {
    let service = TestService::spawn("sqlite").await;
    let mut client = RecommendationsClient::new(service.transports.network.clone());
    let token = service.reader();
    let similar = client
        .similar(platform::transport::request(
            pb::SimilarRequest {
                sku: DRIPPER.to_owned(),
                limit: 4,
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(similar.recommendations.len(), 4);
    assert!(!skus(&similar).contains(&DRIPPER.to_owned()));
    assert!(
        similar
            .recommendations
            .iter()
            .all(|found| found.reason == "similar")
    );

    let too_many = client
        .also_bought(platform::transport::request(
            pb::AlsoBoughtRequest {
                skus: vec![DRIPPER.to_owned()],
                limit: 51,
            },
            &token,
        ))
        .await
        .unwrap_err();
    assert_eq!(too_many.code(), Code::InvalidArgument);
    assert!(
        too_many.message().contains("limit"),
        "{}",
        too_many.message()
    );
    let none = also_bought(&mut client, &token, &[]).await.unwrap_err();
    assert!(none.message().contains("skus"), "{}", none.message());
    let service_for_you = client
        .for_you(platform::transport::request(
            pb::ForYouRequest { limit: 1 },
            &service
                .issuer
                .service_token("gateway", "catalog.read orders"),
        ))
        .await
        .unwrap_err();
    assert_eq!(service_for_you.code(), Code::PermissionDenied);
    let no_scope = also_bought(
        &mut client,
        &service.issuer.user_token("ada", "cart"),
        &[DRIPPER],
    )
    .await
    .unwrap_err();
    assert_eq!(no_scope.code(), Code::PermissionDenied);
    let unknown = client
        .similar(platform::transport::request(
            pb::SimilarRequest {
                sku: "NOPE-1".to_owned(),
                limit: 4,
            },
            &token,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        unknown.code(),
        Code::NotFound,
        "the catalog's answer, as it is"
    );
}
