//! What the processes that run functions read and report: deployments as they change, modules
//! by digest, key-value spaces, invocations and the usage made of them.

use std::time::Duration;

use futures_util::StreamExt;
use platform::transport::request;
use proto::functions as pb;
use tonic::Code;

use crate::{TestService, client, deploy_request, example};

#[tokio::test]
async fn a_watcher_sees_the_deployments_then_each_change() {
    for engine in test_support::engines() {
        let service = TestService::spawn(engine).await;
        let (admin, runner) = (service.admin_token(), service.runner_token());
        let mut client = client(&service.transports.network);
        client
            .deploy(request(
                deploy_request("first", example("redirect")),
                &admin,
            ))
            .await
            .unwrap();
        let mut watch = client
            .watch_deployments(request(pb::WatchDeploymentsRequest {}, &runner))
            .await
            .unwrap()
            .into_inner();
        let now = watch.next().await.unwrap().unwrap();
        assert_eq!(now.functions.len(), 1, "{engine}");

        let mut second = deploy_request("first", example("ab-test"));
        second.keep_traffic = true;
        client.deploy(request(second, &admin)).await.unwrap();
        let next = tokio::time::timeout(Duration::from_secs(1), watch.next())
            .await
            .expect("a change within a second");
        let next = next.unwrap().unwrap();
        assert!(next.revision > now.revision);
        let versions: Vec<u32> = next.functions[0]
            .versions
            .iter()
            .map(|version| version.version)
            .collect();
        assert_eq!(
            versions,
            [1],
            "only versions that take traffic are deployed"
        );
    }
}

#[tokio::test]
async fn another_replicas_change_reaches_a_watcher_within_a_second() {
    let engine = test_support::engines().pop().unwrap();
    let url = test_support::fresh_database_url(engine).await.unwrap();
    let config = functions::Config {
        database_url: url,
        ..functions::Config::default()
    };
    let bus: std::sync::Arc<dyn platform::bus::EventBus> =
        std::sync::Arc::new(platform::bus::InProcessBus::new());
    let one = functions::Functions::build(&config, bus.clone())
        .await
        .unwrap();
    let two = functions::Functions::build(&config, bus).await.unwrap();
    let shutdown = platform::Shutdown::new();
    tokio::spawn(two.clone().follow_revision(shutdown.clone()));
    let (_, before) = two.deployments().await.unwrap();
    assert!(before.is_empty());
    let seen = two.deployments().await.unwrap().0;

    let deploy = functions::Deploy {
        name: "elsewhere".to_owned(),
        module: example("redirect"),
        limits: sandbox::Limits::default(),
        grants: sandbox::Grants::default(),
        note: String::new(),
        keep_traffic: false,
    };
    one.deploy(deploy).await.unwrap();
    let revision = tokio::time::timeout(Duration::from_secs(1), two.next_revision(seen))
        .await
        .expect("within a second");

    assert!(revision > seen);
    assert_eq!(two.deployments().await.unwrap().1.len(), 1);
    shutdown.trigger();
}

#[tokio::test]
async fn a_runner_fetches_modules_by_digest_and_uses_key_value_spaces() {
    let service = TestService::spawn("sqlite").await;
    let (admin, runner) = (service.admin_token(), service.runner_token());
    let mut client = client(&service.transports.network);
    let deployed = client
        .deploy(request(
            deploy_request("redirect", example("redirect")),
            &admin,
        ))
        .await
        .unwrap()
        .into_inner();
    let digest = deployed.versions[0].digest.clone();

    let module = client
        .get_module(request(
            pb::GetModuleRequest {
                digest: digest.clone(),
            },
            &runner,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(module.module, example("redirect"));
    let status = client
        .get_module(request(
            pb::GetModuleRequest {
                digest: "0".repeat(64),
            },
            &runner,
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);

    let set = pb::KvSetRequest {
        function: "redirect".to_owned(),
        key: "visits".to_owned(),
        value: b"7".to_vec(),
    };
    client.kv_set(request(set, &runner)).await.unwrap();
    let get = |key: &str| pb::KvGetRequest {
        function: "redirect".to_owned(),
        key: key.to_owned(),
    };
    let value = client
        .kv_get(request(get("visits"), &runner))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((value.found, value.value), (true, b"7".to_vec()));
    let absent = client
        .kv_get(request(get("other"), &runner))
        .await
        .unwrap()
        .into_inner();
    assert!(!absent.found);
    let status = client.kv_get(request(get(""), &runner)).await.unwrap_err();
    assert_eq!(status.message(), "key: 0 bytes; a key is 1 to 256");
}

fn invocation(duration_ms: f64, fault_kind: &str) -> pb::Invocation {
    pb::Invocation {
        function: "redirect".to_owned(),
        version: 1,
        trigger: "edge".to_owned(),
        at_ms: 1_765_000_000_000,
        duration_ms,
        fuel: 1_000,
        peak_memory_bytes: 65_536,
        memory_limit_bytes: 1 << 30,
        cold: duration_ms > 9.0,
        fault_kind: fault_kind.to_owned(),
        fault: if fault_kind.is_empty() {
            String::new()
        } else {
            "the function trapped".to_owned()
        },
        logs: vec![pb::LogLine {
            level: "info".to_owned(),
            message: format!("took {duration_ms}"),
        }],
        trace_id: "4bf92f3577b34da6a3ce929d0e0e4736".to_owned(),
        replica: "gateway-1".to_owned(),
        events: Vec::new(),
    }
}

#[tokio::test]
async fn reported_invocations_are_listed_newest_first_and_make_the_usage() {
    let service = TestService::spawn("sqlite").await;
    let (admin, runner) = (service.admin_token(), service.runner_token());
    let mut client = client(&service.transports.in_process);
    client
        .deploy(request(
            deploy_request("redirect", example("redirect")),
            &admin,
        ))
        .await
        .unwrap();
    let mut invocations: Vec<pb::Invocation> =
        (1..=9).map(|n| invocation(f64::from(n), "")).collect();
    invocations.push(invocation(10.0, "trapped"));
    let report = pb::InvocationReport { invocations };
    client
        .report_invocations(request(report, &runner))
        .await
        .unwrap();

    let listed = pb::ListInvocationsRequest {
        name: "redirect".to_owned(),
        limit: 3,
    };
    let listed = client
        .list_invocations(request(listed, &admin))
        .await
        .unwrap()
        .into_inner()
        .invocations;
    let function = client
        .get_function(request(
            pb::GetFunctionRequest {
                name: "redirect".to_owned(),
            },
            &admin,
        ))
        .await
        .unwrap()
        .into_inner();

    let durations: Vec<f64> = listed
        .iter()
        .map(|invocation| invocation.duration_ms)
        .collect();
    assert_eq!(durations, [10.0, 9.0, 8.0]);
    assert_eq!(listed[0].fault_kind, "trapped");
    assert_eq!(listed[1].logs[0].message, "took 9");
    let usage = function.usage.unwrap();
    assert_eq!(
        (
            usage.invocations,
            usage.errors,
            usage.cold_starts,
            usage.fuel
        ),
        (10, 1, 1, 10_000)
    );
    assert_eq!((usage.p50_ms, usage.p99_ms), (5.0, 10.0));
    // 1 GB for 1 + 2 + ... + 10 ms.
    assert!(
        (usage.gb_seconds - 0.055).abs() < 1e-9,
        "{}",
        usage.gb_seconds
    );
}

#[tokio::test]
async fn a_broken_new_version_rolls_back_by_itself() {
    let service = TestService::spawn("sqlite").await;
    let (admin, runner) = (service.admin_token(), service.runner_token());
    let mut client = client(&service.transports.in_process);
    client
        .deploy(request(
            deploy_request("redirect", example("redirect")),
            &admin,
        ))
        .await
        .unwrap();
    client
        .deploy(request(
            deploy_request("redirect", example("ab-test")),
            &admin,
        ))
        .await
        .unwrap();
    let failing = |n: usize| -> Vec<pb::Invocation> {
        (0..n)
            .map(|_| pb::Invocation {
                version: 2,
                ..invocation(1.0, "trapped")
            })
            .collect()
    };

    let report = pb::InvocationReport {
        invocations: failing(9),
    };
    client
        .report_invocations(request(report, &runner))
        .await
        .unwrap();
    let get = || pb::GetFunctionRequest {
        name: "redirect".to_owned(),
    };
    let still = client
        .get_function(request(get(), &admin))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        crate::traffic(&still),
        [(2, 100)],
        "nine failures are too few to tell"
    );

    let report = pb::InvocationReport {
        invocations: failing(1),
    };
    client
        .report_invocations(request(report, &runner))
        .await
        .unwrap();
    let back = client
        .get_function(request(get(), &admin))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        crate::traffic(&back),
        [(1, 100)],
        "ten of ten failed: back to version 1"
    );
}

#[tokio::test]
async fn key_value_spaces_live_in_redis_when_it_is_set_and_its_absence_is_named() {
    let Some(redis_url) = std::env::var("EMPORIUM_TEST_REDIS_URL")
        .ok()
        .filter(|url| !url.is_empty())
    else {
        return eprintln!(
            "EMPORIUM_TEST_REDIS_URL is not set: the Redis key-value test is skipped"
        );
    };
    let prefix = format!("functions-it-{}:", uuid::Uuid::new_v4().simple());
    let config = functions::Config {
        redis_url: redis_url.clone(),
        redis_prefix: prefix.clone(),
        ..functions::Config::default()
    };
    let service = TestService::spawn_with("sqlite", config).await;
    let runner = service.runner_token();
    let mut client = client(&service.transports.network);
    let set = pb::KvSetRequest {
        function: "hello".to_owned(),
        key: "visits".to_owned(),
        value: b"7".to_vec(),
    };
    client.kv_set(request(set, &runner)).await.unwrap();
    let mut redis = redis::Client::open(redis_url.as_str())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let stored: Option<Vec<u8>> = redis::cmd("GET")
        .arg(format!("{prefix}kv:hello:visits"))
        .query_async(&mut redis)
        .await
        .unwrap();
    assert_eq!(stored, Some(b"7".to_vec()));
    let _: () = redis::cmd("SET")
        .arg(format!("{prefix}kv:hello:visits"))
        .arg("8")
        .query_async(&mut redis)
        .await
        .unwrap();
    let get = pb::KvGetRequest {
        function: "hello".to_owned(),
        key: "visits".to_owned(),
    };
    let value = client
        .kv_get(request(get.clone(), &runner))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(value.value, b"8");

    let away = functions::Config {
        redis_url: format!("redis://{}", test_support::unused_address()),
        ..functions::Config::default()
    };
    let service = TestService::spawn_with("sqlite", away).await;
    let mut unreachable = crate::client(&service.transports.network);
    let status = unreachable
        .kv_get(request(get, &service.runner_token()))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unavailable);
    assert!(
        status.message().contains("key-value store"),
        "{}",
        status.message()
    );
}
