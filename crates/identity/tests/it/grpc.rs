//! The gRPC `Identity` service through the in-process transport, behind the same server layer
//! the network server runs.

use platform::grpc::ServerLayer;
use platform::transport::{self, Transport};
use proto::identity::identity_client::IdentityClient;
use proto::identity::{GetMeRequest, LoginRequest, SignUpRequest};
use tonic::Code;
use tonic::service::Routes;

use crate::support::{TestApp, databases, sqlite_database};

fn client(app: &TestApp) -> IdentityClient<Transport> {
    let layer = ServerLayer::new(app.verifier(), identity::PUBLIC_METHODS);
    IdentityClient::new(transport::in_process(
        Routes::new(app.identity.grpc()),
        layer,
    ))
}

fn sign_up_request(email: &str, password: &str) -> SignUpRequest {
    SignUpRequest {
        email: email.to_owned(),
        password: password.to_owned(),
        display_name: "Grace Hopper".to_owned(),
    }
}

#[tokio::test]
async fn a_user_signs_up_logs_in_and_reads_their_profile() {
    for database in databases("grpc_sign_up_login_get_me").await {
        let app = TestApp::spawn(database).await;
        let mut client = client(&app);
        let user = client
            .sign_up(sign_up_request(" Grace@Example.com ", "compiler1952"))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(user.email, "grace@example.com");
        assert_eq!(user.display_name, "Grace Hopper");
        assert!(user.created_at_unix > 0);

        let tokens = client
            .login(LoginRequest {
                email: "grace@example.com".to_owned(),
                password: "compiler1952".to_owned(),
                scope: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(tokens.token_type, "Bearer");
        assert_eq!(tokens.scope, proto::scopes::joined(proto::scopes::SHOPPER));
        assert!(!tokens.refresh_token.is_empty());
        assert!(!tokens.id_token.is_empty());

        let me = client
            .get_me(transport::request(GetMeRequest {}, &tokens.access_token))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(me, user);
    }
}

#[tokio::test]
async fn sign_up_with_a_bad_email_is_refused_naming_the_field() {
    let app = TestApp::spawn(sqlite_database()).await;
    let mut client = client(&app);
    let status = client
        .sign_up(sign_up_request("not-an-email", "compiler1952"))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(status.message(), "email: not a valid address");

    let status = client
        .sign_up(sign_up_request("grace@example.com", "short"))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(
        status.message().starts_with("password:"),
        "{}",
        status.message()
    );
    // Nothing was stored: the address is still free.
    client
        .sign_up(sign_up_request("grace@example.com", "compiler1952"))
        .await
        .unwrap();
}

#[tokio::test]
async fn sign_up_with_a_taken_email_is_already_exists() {
    let app = TestApp::spawn(sqlite_database()).await;
    let mut client = client(&app);
    let status = client
        .sign_up(sign_up_request(crate::support::USER_EMAIL, "compiler1952"))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::AlreadyExists);
}

/// A password login with the first-party client's default scopes.
fn login(email: &str, password: &str) -> LoginRequest {
    LoginRequest {
        email: email.to_owned(),
        password: password.to_owned(),
        scope: String::new(),
    }
}

#[tokio::test]
async fn login_fails_alike_for_an_unknown_user_and_a_wrong_password() {
    let app = TestApp::spawn(sqlite_database()).await;
    let mut client = client(&app);
    let wrong_password = client
        .login(login(crate::support::USER_EMAIL, "not the password"))
        .await
        .unwrap_err();
    let unknown_user = client
        .login(login("nobody@example.com", crate::support::USER_PASSWORD))
        .await
        .unwrap_err();
    assert_eq!(wrong_password.code(), Code::Unauthenticated);
    assert_eq!(unknown_user.code(), Code::Unauthenticated);
    assert_eq!(wrong_password.message(), unknown_user.message());
}

#[tokio::test]
async fn failed_logins_past_the_fifth_make_the_next_wait_even_with_the_right_password() {
    let app = TestApp::spawn(sqlite_database()).await;
    let mut client = client(&app);
    for _ in 0..5 {
        let refused = client
            .login(login(crate::support::USER_EMAIL, "not the password"))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::Unauthenticated);
    }
    let throttled = client
        .login(login(
            crate::support::USER_EMAIL,
            crate::support::USER_PASSWORD,
        ))
        .await
        .unwrap_err();
    assert_eq!(throttled.code(), Code::ResourceExhausted, "{throttled:?}");
    assert!(
        throttled.message().contains("try again in 1 s"),
        "{throttled:?}"
    );
    assert_eq!(throttled.metadata().get("retry-after").unwrap(), "1");
    // Another email, known or not, is not held up by this one's failures.
    let unknown = client
        .login(login("nobody@example.com", "not the password"))
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::Unauthenticated);
    // Once the wait is over, the right password signs in and the count starts again.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    client
        .login(login(
            crate::support::USER_EMAIL,
            crate::support::USER_PASSWORD,
        ))
        .await
        .unwrap();
    let refused = client
        .login(login(crate::support::USER_EMAIL, "not the password"))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated);
}

#[tokio::test]
async fn get_me_without_a_token_is_unauthenticated() {
    let app = TestApp::spawn(sqlite_database()).await;
    let status = client(&app).get_me(GetMeRequest {}).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
}

#[tokio::test]
async fn an_administrator_registers_lists_and_removes_clients_over_grpc() {
    use proto::identity::{ClientMetadata, ListClientsRequest, RemoveClientRequest};
    let app = TestApp::spawn(sqlite_database()).await;
    let mut client = client(&app);
    let admin = crate::registration::admin_token(&app, "clients.admin").await;
    let metadata = ClientMetadata {
        redirect_uris: vec!["http://127.0.0.1:9000/callback".to_owned()],
        token_endpoint_auth_method: "none".to_owned(),
        grant_types: vec!["authorization_code".to_owned(), "refresh_token".to_owned()],
        client_name: "A shopping app".to_owned(),
        ..Default::default()
    };

    let registered = client
        .register_client(transport::request(metadata.clone(), &admin))
        .await
        .unwrap()
        .into_inner();
    assert!(registered.client_id.starts_with("client-"));
    assert_eq!(
        registered.client_secret, "",
        "a public client has no secret"
    );
    let stored = registered.metadata.unwrap();
    assert_eq!(stored.token_endpoint_auth_method, "none");
    assert_eq!(stored.response_types, ["code"]);
    assert_eq!(stored.scope, proto::scopes::joined(proto::scopes::SHOPPER));

    let listed = client
        .list_clients(transport::request(ListClientsRequest {}, &admin))
        .await
        .unwrap()
        .into_inner();
    assert!(
        listed
            .clients
            .iter()
            .any(|found| found.client_id == registered.client_id)
    );

    let remove = || RemoveClientRequest {
        client_id: registered.client_id.clone(),
    };
    client
        .remove_client(transport::request(remove(), &admin))
        .await
        .unwrap();
    let again = client
        .remove_client(transport::request(remove(), &admin))
        .await;
    assert_eq!(again.unwrap_err().code(), Code::NotFound);

    let bad = ClientMetadata {
        redirect_uris: vec!["http://shop.example.com/callback".to_owned()],
        ..metadata.clone()
    };
    let refused = client
        .register_client(transport::request(bad, &admin))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert!(
        refused.message().starts_with("redirect_uris"),
        "{}",
        refused.message()
    );

    let shopper = crate::registration::admin_token(&app, "openid cart").await;
    let denied = client
        .register_client(transport::request(metadata, &shopper))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
}
