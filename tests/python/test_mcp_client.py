"""The official MCP Python SDK (`mcp`) against the shop's Model Context Protocol server at /mcp
(streamable HTTP): the client negotiates the protocol, lists the tools, and shops with a
shopper's bearer token; a token without the shopper's scopes gets the tools' refusals, and no
token gets a 401."""

import asyncio

import requests
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client


async def calls(url, token, steps):
    """Runs each `(tool, arguments)` of `steps` in one session; the tool names listed, and each
    result."""
    async with create_mcp_http_client(headers={"Authorization": f"Bearer {token}"}) as http:
        async with Client(streamable_http_client(url, http_client=http)) as client:
            listed = await client.list_tools()
            results = [await client.call_tool(name, arguments) for name, arguments in steps]
    return [tool.name for tool in listed.tools], results


def test_an_agent_shops_with_the_shoppers_token_through_the_mcp_client(shop):
    url = f"{shop.base_url}/mcp"
    token = shop.new_shopper()
    names, [found] = asyncio.run(calls(url, token, [("search_products", {"query": "walnut board under $50"})]))
    assert {"search_products", "get_product", "view_cart", "add_to_cart", "list_orders"} <= set(names)
    assert not found.is_error, found
    products = found.structured_content["products"]
    assert products, found
    sku = products[0]["sku"]
    assert float(products[0]["price"].lstrip("$")) <= 50

    steps = [("add_to_cart", {"sku": sku, "quantity": 2}), ("view_cart", {}), ("list_orders", {})]
    _, [added, cart, orders] = asyncio.run(calls(url, token, steps))
    assert not added.is_error, added
    assert added.structured_content["item_count"] == 2
    assert [line["sku"] for line in cart.structured_content["lines"]] == [sku]
    assert orders.structured_content == {"orders": []}

    # The same REST cart: the agent acted as the shopper, no one else.
    rest = requests.get(f"{shop.base_url}/api/v1/cart", headers={"authorization": f"Bearer {token}"}, timeout=10)
    assert rest.json()["item_count"] == 2


def test_an_agent_has_no_more_authority_than_its_token(shop):
    url = f"{shop.base_url}/mcp"
    reader = shop.admin_token("catalog.read")
    _, [cart, found] = asyncio.run(calls(url, reader, [("view_cart", {}), ("get_product", {"sku": "KIT-00001"})]))
    assert cart.is_error, cart
    assert "cart" in cart.content[0].text
    assert not found.is_error, found
    assert found.structured_content["sku"] == "KIT-00001"

    refused = requests.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"}, timeout=10)
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].startswith("Bearer")
