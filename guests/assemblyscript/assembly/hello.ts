// A function with a route of its own, `/fn/<name>`: greets whoever `?name=` says and counts
// the visits in its key-value space, so its state outlives each fresh instance.

import { input, kvGet, kvSet, log, output, quote, stringField } from "./emporium";
export { alloc } from "./emporium";

export function handle(ptr: usize, len: i32): i64 {
  const request = input(ptr, len);
  const query = stringField(request, "query");
  let name = "shopper";
  if (query != null) {
    const parts = query.split("&");
    for (let i = 0; i < parts.length; i++) {
      if (parts[i].startsWith("name=") && parts[i].length > 5) name = parts[i].substring(5);
    }
  }
  const before = kvGet("visits");
  const visits = (before == null ? 0 : I32.parseInt(before)) + 1;
  kvSet("visits", visits.toString());
  log(1, "greeted " + name);
  return output(
    "{\"status\":200,\"headers\":{\"cache-control\":\"no-store\"},\"body\":{\"hello\":" + quote(name) + ",\"visits\":" + visits.toString() + "}}"
  );
}
