"""OpenAI's own Python client (`openai`) against the shop's OpenAI-compatible API under /v1: the
list of models, embeddings as floats and as base64 (the client's default), shortened vectors, chat
completions whole and streamed with tool calls (through the LLM gateway to the stand-in provider),
and errors raised as the client's own exception types. The API key is a shopper's access token."""

import json
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


SEARCH = {
    "type": "function",
    "function": {
        "name": "search_products",
        "description": "Searches the catalogue",
        "parameters": {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]},
    },
}


def test_chat_completions_answer_whole_and_streamed_through_the_llm_gateway(client):
    # The shop's provider is the LLM stand-in (conftest), reached through the gateway's chain.
    answer = client.chat.completions.create(
        model="emporium-chat", messages=[{"role": "user", "content": "is there a linen apron?"}]
    )
    assert answer.choices[0].message.content == "Stand-in answer to: is there a linen apron?"
    assert answer.choices[0].finish_reason == "stop"
    assert answer.usage.prompt_tokens == 5
    assert answer.model == "gpt-4o-mini"
    assert answer.model_extra["provider"] == "standin"

    stream = client.chat.completions.create(
        model="emporium-chat",
        messages=[{"role": "user", "content": "a walnut board please"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    assert text == "Stand-in answer to: a walnut board please"
    assert len(chunks) > 4
    finishes = [chunk.choices[0].finish_reason for chunk in chunks if chunk.choices and chunk.choices[0].finish_reason]
    assert finishes == ["stop"]
    assert chunks[-1].usage.completion_tokens > 0


def test_chat_completions_call_tools_and_read_their_answers(client):
    asked = [{"role": "user", "content": "linen apron"}]
    called = client.chat.completions.create(model="emporium-chat", messages=asked, tools=[SEARCH])
    assert called.choices[0].finish_reason == "tool_calls"
    call = called.choices[0].message.tool_calls[0]
    assert call.function.name == "search_products"
    assert json.loads(call.function.arguments) == {"query": "linen apron"}

    # The same call, streamed: the client gathers it from the chunks.
    streamed = client.chat.completions.create(model="emporium-chat", messages=asked, tools=[SEARCH], stream=True)
    parts = [tool for chunk in streamed if chunk.choices for tool in chunk.choices[0].delta.tool_calls or []]
    assert parts[0].function.name == "search_products"
    assert json.loads("".join(part.function.arguments or "" for part in parts)) == {"query": "linen apron"}

    followed = client.chat.completions.create(
        model="emporium-chat",
        messages=asked
        + [called.choices[0].message, {"role": "tool", "tool_call_id": call.id, "content": "KIT-00001 Linen apron"}],
        tools=[SEARCH],
    )
    assert followed.choices[0].message.content == "Here is what I found: KIT-00001 Linen apron"

    with pytest.raises(openai.BadRequestError) as empty:
        client.chat.completions.create(model="emporium-chat", messages=[])
    assert empty.value.param == "messages"


def test_a_structured_answer_matches_its_json_schema(client):
    schema = {
        "type": "object",
        "properties": {"query": {"type": "string"}, "max_price": {"type": "number"}},
        "required": ["query", "max_price"],
        "additionalProperties": False,
    }
    answer = client.chat.completions.create(
        model="emporium-chat",
        messages=[{"role": "user", "content": "summer shoes under 80"}],
        response_format={"type": "json_schema", "json_schema": {"name": "search", "schema": schema, "strict": True}},
    )
    assert json.loads(answer.choices[0].message.content) == {"query": "summer shoes under 80", "max_price": 1}

    with pytest.raises(openai.BadRequestError) as unsupported:
        client.chat.completions.create(
            model="emporium-chat",
            messages=[{"role": "user", "content": "hi"}],
            response_format={"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "string", "pattern": "^a"}}},
        )
    assert unsupported.value.param == "response_format"
    assert "pattern" in unsupported.value.message
