// Redirects at the edge, before a route: old campaign paths go to where they live now, with a
// permanent redirect, so links in old emails keep working.

import { input, output, quote, stringField } from "./emporium";
export { alloc } from "./emporium";

const MOVED: string[][] = [
  ["/sale", "/?q=sale"],
  ["/kitchen", "/?category=kitchen"],
  ["/gifts", "/?q=gift"],
];

export function handle(ptr: usize, len: i32): i64 {
  const path = stringField(input(ptr, len), "path");
  for (let i = 0; i < MOVED.length; i++) {
    if (path == MOVED[i][0]) {
      return output("{\"action\":\"redirect\",\"status\":301,\"location\":" + quote(MOVED[i][1]) + "}");
    }
  }
  return output("{\"action\":\"continue\"}");
}
