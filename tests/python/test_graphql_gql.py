"""GraphQL through gql, a client someone else wrote: queries over HTTP, the cart and checkout
mutations, and an order's states through a subscription over graphql-transport-ws."""

import asyncio
import uuid

from gql import Client, gql
from gql.transport.requests import RequestsHTTPTransport
from gql.transport.websockets import WebsocketsTransport

ADDRESS = {"name": "Py Thon", "line1": "1 Main St", "city": "Springfield", "postalCode": "12345", "country": "US"}
CARD = {"number": "4242424242424242", "expMonth": 12, "expYear": 2031, "cvc": "123"}


def http_client(shop, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    transport = RequestsHTTPTransport(url=f"{shop.base_url}/graphql", headers=headers, timeout=20)
    return Client(transport=transport, fetch_schema_from_transport=True)


def test_products_with_stock_and_category_through_gql(shop):
    with http_client(shop) as session:
        result = session.execute(
            gql(
                """query($first: Int!) { products(first: $first, category: "kitchen") {
                    totalCount
                    edges { cursor node { sku name price { amount currency } stock { available } category { slug } } }
                    pageInfo { hasNextPage endCursor } } }"""
            ),
            variable_values={"first": 5},
        )
    products = result["products"]
    assert len(products["edges"]) == 5
    assert products["pageInfo"]["hasNextPage"]
    assert all(edge["node"]["category"]["slug"] == "kitchen" for edge in products["edges"])
    assert products["pageInfo"]["endCursor"] == products["edges"][-1]["cursor"]


def test_checkout_and_an_order_subscription_through_gql(shop):
    token = shop.new_shopper()
    with http_client(shop, token) as session:
        session.execute(gql('mutation { addToCart(sku: "KIT-00012", quantity: 1) { itemCount } }'))
        placed = session.execute(
            gql(
                """mutation($key: String!, $address: AddressInput!, $card: CardInput!) {
                    checkout(idempotencyKey: $key, address: $address, card: $card) { id state } }"""
            ),
            variable_values={"key": str(uuid.uuid4()), "address": ADDRESS, "card": CARD},
        )
    order = placed["checkout"]
    assert order["state"] == "CONFIRMED"

    assert asyncio.run(order_states(shop, token, order["id"])) == ["CONFIRMED"]


async def order_states(shop, token, order_id):
    """The states a subscription to the order receives until it completes."""
    transport = WebsocketsTransport(
        url=shop.base_url.replace("http://", "ws://") + "/graphql/ws",
        init_payload={"Authorization": f"Bearer {token}"},
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
    )
    async with Client(transport=transport) as session:
        subscription = gql("subscription($id: String!) { orderUpdates(id: $id) { id state } }")
        return [
            update["orderUpdates"]["state"]
            async for update in session.subscribe(subscription, variable_values={"id": order_id})
        ]
