// Personalises a product listing at the edge, after the route has answered: a shopper whose
// `emporium_pref` cookie names a category sees that category's products first, in the order
// the shop gave them, then the rest. Without the cookie the listing passes unchanged.
// The list is the answer's `products` (or `items`) array.

import { cookie, input, output, quote, stringField, stringEnd, valueEnd } from "./emporium";
export { alloc } from "./emporium";

const CONTINUE = "{\"action\":\"continue\"}";

export function handle(ptr: usize, len: i32): i64 {
  const event = input(ptr, len);
  const cookies = stringField(event, "cookie");
  if (cookies == null) return output(CONTINUE);
  const preferred = cookie(cookies, "emporium_pref");
  if (preferred == null || preferred.length == 0) return output(CONTINUE);
  const body = event.indexOf("\"body\":{");
  if (body < 0) return output(CONTINUE);
  const bodyStart = body + 7;
  const bodyEnd = valueEnd(event, bodyStart);
  // The shop's listings call their array "products"; others call it "items".
  let items = event.indexOf("\"products\":[", bodyStart);
  let listStart = items + 11;
  if (items < 0) {
    items = event.indexOf("\"items\":[", bodyStart);
    listStart = items + 8;
  }
  if (bodyEnd < 0 || items < 0 || items > bodyEnd) return output(CONTINUE);
  const listEnd = valueEnd(event, listStart);
  if (listEnd < 0) return output(CONTINUE);
  const reordered = reorder(event.substring(listStart + 1, listEnd - 1), preferred);
  const rebuilt = event.substring(bodyStart, listStart) + "[" + reordered + "]" + event.substring(listEnd, bodyEnd);
  return output(
    "{\"action\":\"replace\",\"response_headers\":{\"x-emporium-personalised\":" + quote(preferred) + "},\"body\":" + rebuilt + "}"
  );
}

/** The objects of a JSON array's inside, those of category `preferred` first. */
function reorder(list: string, preferred: string): string {
  const first = new Array<string>();
  const rest = new Array<string>();
  const wanted = "\"category\":" + quote(preferred);
  let at = 0;
  while (at < list.length) {
    const start = list.indexOf("{", at);
    if (start < 0) break;
    const end = valueEnd(list, start);
    if (end < 0) break;
    const item = list.substring(start, end);
    if (ownCategory(item) == wanted) first.push(item);
    else rest.push(item);
    at = end;
  }
  return first.concat(rest).join(",");
}

/** `"category":"..."` of an item, as written. */
function ownCategory(item: string): string {
  const at = item.indexOf("\"category\":\"");
  if (at < 0) return "";
  const end = stringEnd(item, at + 12);
  return end < 0 ? "" : item.substring(at, end + 1);
}
