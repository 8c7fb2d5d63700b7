//! Deploying versions, splitting traffic, rolling back, triggers, and refusals.

use platform::transport::request;
use proto::functions as pb;
use tonic::Code;

use crate::{TestService, client, deploy_request, example, traffic};

#[tokio::test]
async fn each_deploy_is_a_new_version_that_takes_the_traffic() {
    for engine in test_support::engines() {
        let service = TestService::spawn(engine).await;
        for (transport_name, transport) in service.transports.each() {
            let token = service.admin_token();
            let name = format!("redirect-{}", transport_name.replace(' ', "-"));
            let mut client = client(&transport);
            let first = client
                .deploy(request(deploy_request(&name, example("redirect")), &token))
                .await
                .unwrap()
                .into_inner();
            let mut second = deploy_request(&name, example("ab-test"));
            second.note = "the A/B test instead".to_owned();
            let second = client
                .deploy(request(second, &token))
                .await
                .unwrap()
                .into_inner();

            assert_eq!(traffic(&first), [(1, 100)], "{engine} {transport_name}");
            assert_eq!(traffic(&second), [(2, 100)]);
            assert_eq!(second.versions.len(), 2);
            assert_eq!(second.versions[1].note, "the A/B test instead");
            assert_eq!(
                second.versions[0].digest,
                sandbox::digest(&example("redirect"))
            );
            assert_eq!(
                second.versions[0].size_bytes,
                example("redirect").len() as u64
            );
            let limits = second.versions[0].limits.unwrap();
            assert_eq!(limits.memory_bytes, sandbox::Limits::default().memory_bytes);
        }
    }
}

#[tokio::test]
async fn traffic_splits_between_versions_and_a_rollback_is_immediate() {
    let service = TestService::spawn("sqlite").await;
    let token = service.admin_token();
    let mut client = client(&service.transports.in_process);
    for module in ["redirect", "ab-test", "personalise"] {
        client
            .deploy(request(deploy_request("landing", example(module)), &token))
            .await
            .unwrap();
    }
    let split = pb::SetTrafficRequest {
        name: "landing".to_owned(),
        traffic: vec![
            pb::TrafficShare {
                version: 2,
                percent: 90,
            },
            pb::TrafficShare {
                version: 3,
                percent: 10,
            },
        ],
    };
    let split = client
        .set_traffic(request(split, &token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(traffic(&split), [(2, 90), (3, 10)]);

    let back = pb::RollbackRequest {
        name: "landing".to_owned(),
        version: 0,
    };
    let back = client
        .rollback(request(back, &token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        traffic(&back),
        [(1, 100)],
        "the version before the one serving most"
    );

    let wrong = pb::SetTrafficRequest {
        name: "landing".to_owned(),
        traffic: vec![pb::TrafficShare {
            version: 1,
            percent: 60,
        }],
    };
    let status = client
        .set_traffic(request(wrong, &token))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        status.message(),
        "traffic: the shares add up to 60%, not 100%"
    );
    let first = pb::RollbackRequest {
        name: "landing".to_owned(),
        version: 0,
    };
    let status = client.rollback(request(first, &token)).await.unwrap_err();
    assert_eq!(
        status.message(),
        "version: version 1 is the first; there is nothing before it"
    );
}

#[tokio::test]
async fn a_new_version_can_wait_for_its_traffic() {
    let service = TestService::spawn("sqlite").await;
    let token = service.admin_token();
    let mut client = client(&service.transports.in_process);
    client
        .deploy(request(
            deploy_request("canary", example("redirect")),
            &token,
        ))
        .await
        .unwrap();
    let mut quiet = deploy_request("canary", example("ab-test"));
    quiet.keep_traffic = true;
    let quiet = client
        .deploy(request(quiet, &token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(traffic(&quiet), [(1, 100)]);
}

#[tokio::test]
async fn modules_that_may_not_run_are_refused_naming_the_problem() {
    let service = TestService::spawn("sqlite").await;
    let token = service.admin_token();
    let mut client = client(&service.transports.network);
    let refused = |request: pb::DeployRequest| {
        let mut client = client.clone();
        let token = token.clone();
        async move {
            client
                .deploy(platform::transport::request(request, &token))
                .await
                .unwrap_err()
        }
    };

    let status = refused(deploy_request("broken", b"\0asm\x01\0\0\0garbage".to_vec())).await;
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(
        status
            .message()
            .starts_with("module: the module is not valid WebAssembly"),
        "{}",
        status.message()
    );

    let status = refused(deploy_request("loyalty", example("loyalty"))).await;
    assert!(
        status
            .message()
            .contains("which this function was not granted"),
        "{}",
        status.message()
    );

    let mut other_service = deploy_request("loyalty", example("loyalty"));
    other_service.grants = Some(pb::Grants {
        kv: true,
        emit: vec!["emporium.orders.order_placed.v1".to_owned()],
    });
    let status = refused(other_service).await;
    assert!(
        status.message().starts_with("grants.emit: "),
        "{}",
        status.message()
    );

    let status = refused(deploy_request("Bad Name", example("redirect"))).await;
    assert!(
        status.message().starts_with("name: "),
        "{}",
        status.message()
    );

    let mut tiny = deploy_request("tiny", example("loyalty"));
    tiny.grants = Some(pb::Grants {
        kv: true,
        emit: vec!["emporium.functions.points_awarded.v1".to_owned()],
    });
    tiny.limits = Some(pb::Limits {
        memory_bytes: 65_536,
        ..Default::default()
    });
    let status = refused(tiny).await;
    assert!(
        status.message().contains("above its limit of 65536 bytes"),
        "{}",
        status.message()
    );

    let list = client
        .list_functions(request(pb::ListFunctionsRequest {}, &token))
        .await
        .unwrap();
    assert!(
        list.into_inner().functions.is_empty(),
        "nothing refused was stored"
    );
}

#[tokio::test]
async fn triggers_are_set_and_checked() {
    let service = TestService::spawn("sqlite").await;
    let token = service.admin_token();
    let mut client = client(&service.transports.in_process);
    client
        .deploy(request(
            deploy_request("redirect", example("redirect")),
            &token,
        ))
        .await
        .unwrap();
    let wanted = pb::Triggers {
        edge: vec![pb::EdgeRoute {
            phase: "before".to_owned(),
            path_prefix: "/sale".to_owned(),
        }],
        http: true,
        events: vec!["emporium.orders.order_completed.v1".to_owned()],
    };
    let set = pb::SetTriggersRequest {
        name: "redirect".to_owned(),
        triggers: Some(wanted.clone()),
    };
    let function = client
        .set_triggers(request(set, &token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(function.triggers, Some(wanted));

    let bad = pb::Triggers {
        edge: vec![pb::EdgeRoute {
            phase: "during".to_owned(),
            path_prefix: "/".to_owned(),
        }],
        ..Default::default()
    };
    let set = pb::SetTriggersRequest {
        name: "redirect".to_owned(),
        triggers: Some(bad),
    };
    let status = client.set_triggers(request(set, &token)).await.unwrap_err();
    assert_eq!(
        status.message(),
        "triggers.edge.phase: `during` is neither `before` nor `after`"
    );

    let missing = pb::SetTriggersRequest {
        name: "nobody".to_owned(),
        triggers: None,
    };
    assert_eq!(
        client
            .set_triggers(request(missing, &token))
            .await
            .unwrap_err()
            .code(),
        Code::NotFound
    );
}

#[tokio::test]
async fn each_call_needs_its_scope() {
    let service = TestService::spawn("sqlite").await;
    let mut client = client(&service.transports.in_process);
    let shopper = service.issuer.user_token("u1", "catalog.read cart orders");
    let status = client
        .deploy(request(deploy_request("x", example("redirect")), &shopper))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    let runner = service.runner_token();
    let status = client
        .deploy(request(deploy_request("x", example("redirect")), &runner))
        .await
        .unwrap_err();
    assert_eq!(
        status.code(),
        Code::PermissionDenied,
        "a runner may not deploy"
    );
    let admin = service.admin_token();
    let status = client
        .get_module(request(
            pb::GetModuleRequest {
                digest: "x".to_owned(),
            },
            &admin,
        ))
        .await
        .unwrap_err();
    assert_eq!(
        status.code(),
        Code::PermissionDenied,
        "modules are for runners"
    );
    let status = client
        .list_functions(platform::transport::anonymous(pb::ListFunctionsRequest {}))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
}
