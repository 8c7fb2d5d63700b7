// The host calls and helpers every Emporium function in AssemblyScript shares.
// The interface is in crates/sandbox/src/host.rs: strings cross as UTF-8 (pointer, length).

@external("env", "log") declare function host_log(level: i32, ptr: usize, len: i32): void;
@external("env", "kv_get") declare function host_kv_get(kp: usize, kl: i32, out: usize, cap: i32): i32;
@external("env", "kv_set") declare function host_kv_set(kp: usize, kl: i32, vp: usize, vl: i32): i32;

/** Where the host writes the input: the runtime calls this before `handle`. */
export function alloc(len: i32): usize {
  return heap.alloc(<usize>len);
}

/** The input `handle` was given, as a string. */
export function input(ptr: usize, len: i32): string {
  return String.UTF8.decodeUnsafe(ptr, <usize>len);
}

/** What `handle` returns for the answer `json`: its address and length, packed. */
export function output(json: string): i64 {
  const bytes = String.UTF8.encode(json);
  return (<i64>changetype<usize>(bytes) << 32) | <i64>bytes.byteLength;
}

/** A line into the shop's logs: 0 debug, 1 info, 2 warn, 3 error. */
export function log(level: i32, message: string): void {
  const bytes = String.UTF8.encode(message);
  host_log(level, changetype<usize>(bytes), bytes.byteLength);
}

/** The value at `key` in this function's key-value space, or null. */
export function kvGet(key: string): string | null {
  const k = String.UTF8.encode(key);
  let buffer = new ArrayBuffer(256);
  let length = host_kv_get(changetype<usize>(k), k.byteLength, changetype<usize>(buffer), buffer.byteLength);
  if (length < 0) return null;
  if (length > buffer.byteLength) {
    buffer = new ArrayBuffer(length);
    length = host_kv_get(changetype<usize>(k), k.byteLength, changetype<usize>(buffer), length);
  }
  return String.UTF8.decodeUnsafe(changetype<usize>(buffer), <usize>length);
}

export function kvSet(key: string, value: string): void {
  const k = String.UTF8.encode(key);
  const v = String.UTF8.encode(value);
  host_kv_set(changetype<usize>(k), k.byteLength, changetype<usize>(v), v.byteLength);
}

/** The end of the JSON string that starts after the quote at `start` (the closing quote). */
export function stringEnd(json: string, start: i32): i32 {
  let at = start;
  while (at < json.length) {
    const c = json.charCodeAt(at);
    if (c == 92) at += 2; // a backslash escapes the next character
    else if (c == 34) return at;
    else at++;
  }
  return -1;
}

/** The first string value of `"name":` in `json`, still escaped, or null. A plain scan, enough
 * for the flat objects the gateway sends (no JSON library is needed, or shipped). */
export function stringField(json: string, name: string): string | null {
  const key = "\"" + name + "\":\"";
  const at = json.indexOf(key);
  if (at < 0) return null;
  const start = at + key.length;
  const end = stringEnd(json, start);
  return end < 0 ? null : json.substring(start, end);
}

/** The value of cookie `name` in a `cookie` header, or null. */
export function cookie(header: string, name: string): string | null {
  const parts = header.split(";");
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i].trim();
    if (part.startsWith(name + "=")) return part.substring(name.length + 1);
  }
  return null;
}

/** `text` as a JSON string, quotes included. */
export function quote(text: string): string {
  return "\"" + text.replaceAll("\\", "\\\\").replaceAll("\"", "\\\"") + "\"";
}

/** FNV-1a: the same text always lands in the same bucket. */
export function hash(text: string): u32 {
  let h: u32 = 2166136261;
  for (let i = 0; i < text.length; i++) {
    h ^= <u32>text.charCodeAt(i);
    h *= 16777619;
  }
  return h;
}

/** The index just past the JSON object or array that opens at `start`, or -1. */
export function valueEnd(json: string, start: i32): i32 {
  let depth = 0;
  let at = start;
  while (at < json.length) {
    const c = json.charCodeAt(at);
    if (c == 34) {
      at = stringEnd(json, at + 1);
      if (at < 0) return -1;
    } else if (c == 123 || c == 91) {
      depth++;
    } else if (c == 125 || c == 93) {
      depth--;
      if (depth == 0) return at + 1;
    }
    at++;
  }
  return -1;
}
