// An A/B test at the edge, before a route: each shopper gets variant A or B, kept in a cookie,
// and the variant travels on to the shop in `x-emporium-variant` and back in the answer.
// A new shopper's variant comes from a hash of the request id: half A, half B.

import { cookie, hash, input, log, output, stringField } from "./emporium";
export { alloc } from "./emporium";

const COOKIE = "emporium_ab";

export function handle(ptr: usize, len: i32): i64 {
  const request = input(ptr, len);
  const cookies = stringField(request, "cookie");
  if (cookies != null) {
    const kept = cookie(cookies, COOKIE);
    if (kept != null && (kept == "A" || kept == "B")) return output(decision(kept, false));
  }
  const id = stringField(request, "x-request-id");
  const variant = hash(id != null ? id : "") % 100 < 50 ? "A" : "B";
  log(0, "assigned variant " + variant);
  return output(decision(variant, true));
}

function decision(variant: string, assigned: bool): string {
  const header = "{\"x-emporium-variant\":\"" + variant + "\"}";
  let out = "{\"action\":\"continue\",\"request_headers\":" + header + ",\"response_headers\":" + header;
  if (assigned) {
    out += ",\"set_cookies\":[\"" + COOKIE + "=" + variant + "; Path=/; Max-Age=2592000; SameSite=Lax\"]";
  }
  return out + "}";
}
