"""Schemathesis (PyPI) against the real shop and the OpenAPI document it publishes. Every
operation, with every check Schemathesis has, on valid and invalid data (its examples, coverage and
fuzzing phases), then as sequences of calls that follow the links it infers between operations
(where use-after-free and resource-availability are checked). Once without a token, once with the
development user's and once with the admin client's. Any 5xx, any response that is not as the
document says, any status the document does not list, any invalid request accepted and any valid
request refused fails the test."""

import os

import pytest
import requests
import schemathesis
from hypothesis import settings
from schemathesis.config._checks import PositiveDataAcceptanceConfig

# Cases per operation and generation phase, and call sequences per stateful run: enough to find
# a fault, few enough to finish in minutes on two cores. SCHEMATHESIS_EXAMPLES asks for more.
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "50"))
SEQUENCES = EXAMPLES // 2


def user_token(shop):
    email, password = shop.pair("Development user")
    answer = requests.post(
        f"{shop.base_url}/api/v1/account/login", json={"email": email, "password": password}, timeout=10
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def admin_token(shop):
    answer = requests.post(
        f"{shop.base_url}/oauth2/token",
        auth=shop.pair("Admin client"),
        data={"grant_type": "client_credentials"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def api(shop, sign_in=None):
    """The shop's document; with `sign_in`, Schemathesis signs each case with a token from it,
    fetched anew every few minutes (and still sends some without one, or with a broken one, to
    check that they are refused)."""
    schema = schemathesis.openapi.from_url(f"{shop.base_url}/api/openapi.json")
    schema.config.update(base_url=shop.base_url)
    # A failure's curl command is sent as it was, tokens and page tokens too: they belong to a
    # shop that lives only for this run.
    schema.config.output.sanitization.update(enabled=False)
    schema.config.generation.update(max_examples=EXAMPLES)
    # A request the schema allows may still mean nothing to the shop: a module that is not
    # WebAssembly, traffic shares that do not add up to 100. Routes that can say so document
    # 422 (the status-code check holds every other route to its own list). And a login the
    # fuzzer sends a sixth time with a wrong password for the same email is made to wait (429).
    schema.config.checks.positive_data_acceptance = PositiveDataAcceptanceConfig(
        expected_statuses=[*PositiveDataAcceptanceConfig().expected_statuses, "422", "429"]
    )
    if sign_in:
        sign_cases(schema, shop, sign_in)
    return schema


def sign_cases(schema, shop, sign_in):
    """Signs each case of `schema` with a token from `sign_in(shop)`."""

    @schema.auth()
    class Bearer:
        def get(self, case, context):
            return sign_in(shop)

        def set(self, case, value, context):
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {value}"}


@pytest.fixture
def anonymous_api(shop):
    return api(shop)


@pytest.fixture
def user_api(shop):
    return api(shop, user_token)


@pytest.fixture
def admin_api(shop):
    yield api(shop, admin_token)
    # The run switches faults on; later tests expect a shop that works.
    headers = {"Authorization": f"Bearer {admin_token(shop)}"}
    faults = requests.get(f"{shop.base_url}/api/v1/admin/faults", headers=headers, timeout=10)
    for name in faults.json():
        requests.delete(f"{shop.base_url}/api/v1/admin/faults/{name}", headers=headers, timeout=10)


anonymous = schemathesis.pytest.from_fixture("anonymous_api")
user = schemathesis.pytest.from_fixture("user_api")
admin = schemathesis.pytest.from_fixture("admin_api")


def run_sequences(schema):
    schema.as_state_machine().run(
        settings=settings(max_examples=SEQUENCES, deadline=None, stateful_step_count=6)
    )


@anonymous.parametrize()
@settings(max_examples=EXAMPLES, deadline=None)
def test_every_operation_conforms_without_a_token(case):
    case.call_and_validate()


def test_sequences_of_calls_conform_without_a_token(anonymous_api):
    run_sequences(anonymous_api)


@user.parametrize()
@settings(max_examples=EXAMPLES, deadline=None)
def test_every_operation_conforms_with_the_users_token(case):
    case.call_and_validate()


def test_sequences_of_calls_conform_with_the_users_token(user_api):
    run_sequences(user_api)


@admin.parametrize()
@settings(max_examples=EXAMPLES, deadline=None)
def test_every_operation_conforms_with_the_admins_token(case):
    case.call_and_validate()


def test_sequences_of_calls_conform_with_the_admins_token(admin_api):
    run_sequences(admin_api)
