"""Schemathesis (PyPI) against the shop's GraphQL schema, read from the live endpoint by
introspection: every query and mutation field with generated arguments and selections, once
without a token and once with the development user's. Any 5xx, any error the server says is its
own (or leaves unclassified), and any answer that is not a GraphQL response fails the test. Then the shop's own count of the requests of this session (the
Python suite's, most of them Schemathesis's REST and GraphQL runs) is printed, and its server
errors held to none: a 500, 502 or 504 (503 is what the fault switches the admin's REST run
turns on answer, as the document says)."""

import os
import re
import warnings

import pytest
import requests
import schemathesis
from hypothesis import settings
from schemathesis.config._checks import PositiveDataAcceptanceConfig

from test_openapi_schemathesis import sign_cases, user_token

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "50"))


def graphql(shop, sign_in=None):
    schema = schemathesis.graphql.from_url(f"{shop.base_url}/graphql")
    schema.config.update(base_url=f"{shop.base_url}/graphql")
    schema.config.output.sanitization.update(enabled=False)
    schema.config.generation.update(max_examples=EXAMPLES)
    # GraphQL cannot say what a sku looks like or how many items a page may hold, so a query
    # the schema allows may be refused for what it carries: said as an error of the caller's
    # (`classification` BAD_REQUEST), which is right. Any error of the server's still fails.
    schema.config.checks.positive_data_acceptance = PositiveDataAcceptanceConfig(enabled=False)
    if sign_in:
        sign_cases(schema, shop, sign_in)
    return schema


@pytest.fixture
def anonymous_graphql(shop):
    return graphql(shop)


@pytest.fixture
def user_graphql(shop):
    return graphql(shop, user_token)


anonymous = schemathesis.pytest.from_fixture("anonymous_graphql")
user = schemathesis.pytest.from_fixture("user_graphql")


@anonymous.parametrize()
@settings(max_examples=EXAMPLES, deadline=None)
def test_every_graphql_field_answers_without_a_token(case):
    case.call_and_validate()


@user.parametrize()
@settings(max_examples=EXAMPLES, deadline=None)
def test_every_graphql_field_answers_with_the_users_token(case):
    case.call_and_validate()


def requests_counted(shop):
    """The shop's `http_requests_total`, in all and with a 5xx status, from `/metrics`."""
    text = requests.get(f"{shop.base_url}/metrics", timeout=10).text
    total = errors = 0.0
    for line in text.splitlines():
        if not line.startswith("http_requests_total{"):
            continue
        value = float(line.rsplit(" ", 1)[1])
        total += value
        if re.search(r'status="50[0124-9]"', line):
            errors += value
    return total, errors


def test_the_generated_requests_are_counted_and_none_was_a_server_error(shop):
    total, errors = requests_counted(shop)
    # As a warning, which pytest's summary shows, so that CI's log keeps the figure.
    warnings.warn(f"the shop counted {total:.0f} HTTP requests in this session, {errors:.0f} server errors")
    assert total > 0
    assert errors == 0, f"{errors:.0f} server errors among {total:.0f} requests"
