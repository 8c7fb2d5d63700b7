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

#[tokio::test]
async fn login_fails_alike_for_an_unknown_user_and_a_wrong_password() {
    let app = TestApp::spawn(sqlite_database()).await;
    let mut client = client(&app);
    let login = |email: &str, password: &str| LoginRequest {
        email: email.to_owned(),
        password: password.to_owned(),
        scope: String::new(),
    };
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
async fn get_me_without_a_token_is_unauthenticated() {
    let app = TestApp::spawn(sqlite_database()).await;
    let status = client(&app).get_me(GetMeRequest {}).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
}
