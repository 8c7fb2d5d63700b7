"""An outside OAuth 2.0 / OpenID Connect app, built on Authlib, against the shop's provider:
it registers itself (RFC 7591) with an administrator's token, runs the authorization-code flow
with PKCE as a public client, verifies the ID token against the JWKS, refreshes with rotation,
and is refused with a wrong code verifier or a redirect URI it did not register."""

import secrets
from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session, OAuthError
from authlib.jose import JsonWebKey, JsonWebToken

REDIRECT_URI = "http://127.0.0.1:8765/callback"


class LoginForm(HTMLParser):
    """The action and hidden fields of the provider's login page."""

    def __init__(self):
        super().__init__()
        self.action = None
        self.fields = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.action = attrs.get("action")
        if tag == "input" and attrs.get("type") == "hidden":
            self.fields[attrs["name"]] = attrs.get("value", "")


@pytest.fixture(scope="module")
def provider(shop):
    return requests.get(f"{shop.base_url}/.well-known/openid-configuration", timeout=10).json()


@pytest.fixture(scope="module")
def registered(shop, provider):
    admin_id, admin_secret = shop.pair("Admin client")
    admin = OAuth2Session(admin_id, admin_secret, scope="clients.admin")
    token = admin.fetch_token(provider["token_endpoint"], grant_type="client_credentials")
    response = requests.post(
        provider["registration_endpoint"],
        json={
            "client_name": "Authlib shopping app",
            "redirect_uris": [REDIRECT_URI],
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "scope": "openid profile email cart",
        },
        headers={"Authorization": f"Bearer {token['access_token']}"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return response.json()


def app_session(registered, redirect_uri=REDIRECT_URI):
    return OAuth2Session(
        registered["client_id"],
        redirect_uri=redirect_uri,
        scope="openid profile email",
        code_challenge_method="S256",
        token_endpoint_auth_method="none",
    )


def sign_in(shop, authorization_url):
    """The user at the login page: returns the provider's redirect."""
    email, password = shop.pair("Development user")
    page = requests.get(authorization_url, timeout=10)
    assert page.status_code == 200, page.text
    form = LoginForm()
    form.feed(page.text)
    answer = requests.post(
        urljoin(authorization_url, form.action),
        data={**form.fields, "email": email, "password": password},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code in (302, 303), answer.text
    return answer.headers["location"]


def authorize(shop, provider, registered):
    session = app_session(registered)
    verifier = secrets.token_urlsafe(48)
    nonce = secrets.token_urlsafe(16)
    url, state = session.create_authorization_url(
        provider["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )
    return session, sign_in(shop, url), verifier, nonce


def test_the_app_is_registered_as_a_public_client(registered):
    assert "client_secret" not in registered
    assert registered["token_endpoint_auth_method"] == "none"
    assert registered["redirect_uris"] == [REDIRECT_URI]


def test_code_flow_with_pkce_gives_an_id_token_that_verifies_against_the_jwks(shop, provider, registered):
    session, location, verifier, nonce = authorize(shop, provider, registered)
    token = session.fetch_token(
        provider["token_endpoint"], authorization_response=location, code_verifier=verifier
    )
    keys = JsonWebKey.import_key_set(requests.get(provider["jwks_uri"], timeout=10).json())
    claims = JsonWebToken(["EdDSA"]).decode(
        token["id_token"],
        keys,
        claims_options={
            "iss": {"essential": True, "value": provider["issuer"]},
            "aud": {"essential": True, "value": registered["client_id"]},
            "nonce": {"essential": True, "value": nonce},
        },
    )
    claims.validate()
    userinfo = session.get(provider["userinfo_endpoint"]).json()
    assert userinfo["sub"] == claims["sub"]
    assert userinfo["email"] == shop.pair("Development user")[0]

    # Refresh with rotation: a new refresh token each time, and the old one is spent.
    refreshed = session.refresh_token(provider["token_endpoint"], refresh_token=token["refresh_token"])
    assert refreshed["refresh_token"] != token["refresh_token"]
    assert refreshed["access_token"] != token["access_token"]
    with pytest.raises(OAuthError) as reused:
        app_session(registered).refresh_token(
            provider["token_endpoint"], refresh_token=token["refresh_token"]
        )
    assert reused.value.error == "invalid_grant"


def test_a_wrong_code_verifier_is_refused(shop, provider, registered):
    session, location, _, _ = authorize(shop, provider, registered)
    with pytest.raises(OAuthError) as refused:
        session.fetch_token(
            provider["token_endpoint"],
            authorization_response=location,
            code_verifier=secrets.token_urlsafe(48),
        )
    assert refused.value.error == "invalid_grant"


def test_a_redirect_uri_the_app_did_not_register_is_refused_without_a_redirect(provider, registered):
    session = app_session(registered, redirect_uri="http://127.0.0.1:8765/elsewhere")
    url, _ = session.create_authorization_url(
        provider["authorization_endpoint"], code_verifier=secrets.token_urlsafe(48)
    )
    answer = requests.get(url, allow_redirects=False, timeout=10)
    assert answer.status_code == 400, answer.text
    assert "location" not in answer.headers
