//! The cart's live shopping session (`emporium.cart.v1.Cart/Shop`), a bidirectional gRPC stream
//! on the shop's gRPC port with a shopper's token: edits go in, the priced cart comes back after
//! each, a refused edit is a problem and the session goes on, and the stock of the cart's
//! products arrives as it changes.

use proto::cart as pb;
use proto::cart::cart_client::CartClient;

use crate::TestShop;
use crate::checkout::set_stock;

fn edit(request_id: &str, edit: pb::shop_request::Edit) -> pb::ShopRequest {
    pb::ShopRequest {
        request_id: request_id.to_owned(),
        edit: Some(edit),
    }
}

async fn next(events: &mut tonic::Streaming<pb::ShopEvent>) -> pb::ShopEvent {
    tokio::time::timeout(std::time::Duration::from_secs(10), events.message())
        .await
        .expect("an event within 10 s")
        .unwrap()
        .expect("the session goes on")
}

#[tokio::test]
async fn a_live_session_answers_edits_and_follows_the_stock_of_the_cart() {
    let shop = TestShop::spawn("sqlite").await;
    let sku = "KIT-00011";
    set_stock(&shop, sku, 12).await;
    let email = format!("live-{}@example.com", uuid::Uuid::new_v4().simple());
    let token = emporium::load::sign_up(&shop.http, &shop.base_url, &email)
        .await
        .unwrap();

    let (edits, receiver) = tokio::sync::mpsc::channel(4);
    let mut request = tonic::Request::new(tokio_stream::wrappers::ReceiverStream::new(receiver));
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let mut events = CartClient::new(shop.operator("cart"))
        .shop(request)
        .await
        .unwrap()
        .into_inner();
    let first = next(&mut events).await;
    assert!(
        matches!(first.event, Some(pb::shop_event::Event::Cart(ref cart)) if cart.lines.is_empty())
    );

    use pb::shop_request::Edit;
    edits
        .send(edit(
            "a1",
            Edit::Add(pb::AddItemRequest {
                sku: sku.to_owned(),
                quantity: 2,
            }),
        ))
        .await
        .unwrap();
    let added = next(&mut events).await;
    assert_eq!(added.request_id, "a1");
    let Some(pb::shop_event::Event::Cart(cart)) = added.event else {
        panic!("a cart: {added:?}");
    };
    assert_eq!(cart.item_count, 2);
    assert!(cart.total.unwrap().minor_units > 0);
    let stock = next(&mut events).await;
    assert!(
        matches!(stock.event, Some(pb::shop_event::Event::Stock(ref change)) if change.sku == sku && change.available == 12),
        "{stock:?}"
    );

    edits
        .send(edit(
            "bad",
            Edit::Set(pb::SetQuantityRequest {
                sku: sku.to_owned(),
                quantity: 500,
            }),
        ))
        .await
        .unwrap();
    let refused = next(&mut events).await;
    assert_eq!(refused.request_id, "bad");
    let Some(pb::shop_event::Event::Problem(problem)) = refused.event else {
        panic!("a problem: {refused:?}");
    };
    assert_eq!(problem.code, "validation");
    assert!(
        problem.message.starts_with("quantity"),
        "{}",
        problem.message
    );

    set_stock(&shop, sku, 3).await;
    let changed = next(&mut events).await;
    assert!(
        matches!(changed.event, Some(pb::shop_event::Event::Stock(ref change)) if change.available == 3),
        "{changed:?}"
    );

    edits
        .send(edit(
            "r1",
            Edit::Remove(pb::RemoveItemRequest {
                sku: sku.to_owned(),
            }),
        ))
        .await
        .unwrap();
    let removed = next(&mut events).await;
    assert!(
        matches!(removed.event, Some(pb::shop_event::Event::Cart(ref cart)) if cart.lines.is_empty())
    );
    drop(edits);
    let ended = tokio::time::timeout(std::time::Duration::from_secs(10), events.message())
        .await
        .unwrap()
        .unwrap();
    assert!(ended.is_none(), "the session ends with the client's side");
}
