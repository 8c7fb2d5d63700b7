"""OpenAI's own Python client (`openai`) against the shop's OpenAI-compatible API under /v1: the
list of models, embeddings as floats and as base64 (the client's default), shortened vectors, and
errors raised as the client's own exception types. The API key is a shopper's access token."""

import math

import openai
import pytest


@pytest.fixture(scope="module")
def client(shop):
    return openai.OpenAI(base_url=f"{shop.base_url}/v1", api_key=shop.new_shopper(), max_retries=0)


def test_the_models_list_names_the_embedding_model_and_its_production_version(client):
    models = client.models.list()
    ids = [model.id for model in models.data]
    assert "emporium-embed" in ids
    model = client.models.retrieve("emporium-embed")
    assert model.owned_by == "emporium"
    assert model.model_extra["production_version"] == 1


def test_embeddings_come_back_as_unit_vectors_with_their_usage_and_version(client):
    # The client asks for base64 unless told otherwise, and decodes it itself.
    answer = client.embeddings.create(model="emporium-embed", input=["a linen apron", "a cast iron pot"])
    assert [item.index for item in answer.data] == [0, 1]
    vector = answer.data[0].embedding
    assert len(vector) == 256
    assert math.isclose(math.sqrt(sum(value * value for value in vector)), 1.0, rel_tol=1e-4)
    assert answer.usage.prompt_tokens >= 4
    assert answer.usage.total_tokens == answer.usage.prompt_tokens
    assert answer.model == "emporium-embed"
    assert answer.model_extra["model_version"] == 1

    as_floats = client.embeddings.create(model="emporium-embed", input="a linen apron", encoding_format="float")
    assert all(math.isclose(a, b, abs_tol=1e-6) for a, b in zip(as_floats.data[0].embedding, vector))

    short = client.embeddings.create(model="emporium-embed", input="a linen apron", dimensions=64)
    assert len(short.data[0].embedding) == 64


def test_errors_are_the_clients_own_exceptions_with_openais_error_body(client, shop):
    with pytest.raises(openai.NotFoundError) as missing:
        client.embeddings.create(model="gpt-9", input="hello")
    assert missing.value.code == "model_not_found"
    assert "gpt-9" in missing.value.message

    with pytest.raises(openai.BadRequestError) as empty:
        client.embeddings.create(model="emporium-embed", input=["fine", " "])
    assert "text 1 is empty" in empty.value.message
    assert empty.value.param == "input"

    with pytest.raises(openai.BadRequestError) as tokens:
        client.embeddings.create(model="emporium-embed", input=[[1, 2, 3]])
    assert tokens.value.param == "input"

    stranger = openai.OpenAI(base_url=f"{shop.base_url}/v1", api_key="not-a-token", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as refused:
        stranger.embeddings.create(model="emporium-embed", input="hello")
    assert refused.value.code == "invalid_api_key"
