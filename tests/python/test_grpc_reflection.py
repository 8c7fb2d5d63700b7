"""The gRPC edge through grpcio, with no generated code: every message type comes from the
server's reflection, as grpcurl learns them. Drives the cart's bidirectional live session and
the orders' server stream with a shopper's token."""

import queue

import grpc
from google.protobuf import descriptor_pool, message_factory
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase


def message_classes(channel, *names):
    pool = descriptor_pool.DescriptorPool(ProtoReflectionDescriptorDatabase(channel))
    return [message_factory.GetMessageClass(pool.FindMessageTypeByName(name)) for name in names]


def test_the_cart_session_streams_both_ways_through_reflection(shop):
    token = shop.new_shopper()
    channel = grpc.insecure_channel(shop.grpc_address)
    ShopRequest, ShopEvent = message_classes(channel, "emporium.cart.v1.ShopRequest", "emporium.cart.v1.ShopEvent")
    shop_call = channel.stream_stream(
        "/emporium.cart.v1.Cart/Shop",
        request_serializer=ShopRequest.SerializeToString,
        response_deserializer=ShopEvent.FromString,
    )
    edits = queue.Queue()

    def requests():
        while (edit := edits.get()) is not None:
            yield edit

    events = shop_call(requests(), metadata=[("authorization", f"Bearer {token}")], timeout=30)
    first = next(events)
    assert first.WhichOneof("event") == "cart" and len(first.cart.lines) == 0

    add = ShopRequest(request_id="py-1")
    add.add.sku = "KIT-00013"
    add.add.quantity = 3
    edits.put(add)
    answer = next(events)
    assert answer.request_id == "py-1"
    assert answer.cart.item_count == 3
    stock = next(events)
    assert stock.WhichOneof("event") == "stock" and stock.stock.sku == "KIT-00013"

    bad = ShopRequest(request_id="py-2")
    bad.add.sku = "NOPE-00000"
    bad.add.quantity = 1
    edits.put(bad)
    refused = next(events)
    assert refused.request_id == "py-2"
    assert refused.problem.code == "not-found"
    edits.put(None)
    assert list(events) == []


def test_watch_order_streams_through_reflection(shop):
    token = shop.new_shopper()
    channel = grpc.insecure_channel(shop.grpc_address)
    WatchOrderRequest, Order = message_classes(
        channel, "emporium.orders.v1.WatchOrderRequest", "emporium.orders.v1.Order"
    )
    watch = channel.unary_stream(
        "/emporium.orders.v1.Orders/WatchOrder",
        request_serializer=WatchOrderRequest.SerializeToString,
        response_deserializer=Order.FromString,
    )
    try:
        list(watch(WatchOrderRequest(order_id="no-such-order"), metadata=[("authorization", f"Bearer {token}")], timeout=10))
        raise AssertionError("an unknown order is refused")
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.NOT_FOUND
