// A webhook payload transformer: turns the shop's event into the message a chat webhook
// (Slack's incoming-webhook format, `{"text": ...}`) expects, so a merchant's channel reads
// "Order o-123 confirmed" rather than the event's JSON.

import { input, output, quote, stringField } from "./emporium";
export { alloc } from "./emporium";

export function handle(ptr: usize, len: i32): i64 {
  const event = input(ptr, len);
  const kind = stringField(event, "type");
  const order = stringField(event, "order_id");
  if (kind == null) return output("{\"text\":\"Emporium: an event\"}");
  let text = "Emporium: " + kind;
  if (order != null && kind.startsWith("emporium.orders.order_completed")) {
    const confirmed = event.indexOf("\"confirmed\":true") >= 0;
    text = "Order " + order + (confirmed ? " confirmed" : " failed");
  } else if (order != null && kind.startsWith("emporium.orders.order_placed")) {
    text = "Order " + order + " placed";
  }
  return output("{\"text\":" + quote(text) + "}");
}
