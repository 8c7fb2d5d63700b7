/* The host calls and helpers every Emporium function in C shares. The interface is in
 * crates/sandbox/src/host.rs: strings cross as UTF-8 (pointer, length). No stdio: the sandbox
 * gives no WASI, so a module that pulls in printf is refused at deploy. */
#ifndef EMPORIUM_H
#define EMPORIUM_H

#include <stddef.h>
#include <stdint.h>

#define IMPORT(name) __attribute__((import_module("env"), import_name(name)))
#define EXPORT(name) __attribute__((export_name(name)))

IMPORT("log") void host_log(int32_t level, const void *text, int32_t length);
IMPORT("kv_get") int32_t host_kv_get(const void *key, int32_t key_length, void *out, int32_t capacity);
IMPORT("kv_set") int32_t host_kv_set(const void *key, int32_t key_length, const void *value, int32_t value_length);
IMPORT("emit") int32_t host_emit(const void *type, int32_t type_length, const void *data, int32_t data_length);

/* What `handle` returns for an answer of `length` bytes at `answer`. */
static inline int64_t answer(const void *answer, int32_t length) {
  return ((int64_t)(uintptr_t)answer << 32) | (uint32_t)length;
}

static inline int32_t text_length(const char *text) {
  int32_t n = 0;
  while (text[n]) n++;
  return n;
}

/* Where `needle` first occurs in `haystack[0..length]`, or -1. */
static inline int32_t find(const char *haystack, int32_t length, const char *needle) {
  int32_t n = text_length(needle);
  for (int32_t i = 0; i + n <= length; i++) {
    int32_t j = 0;
    while (j < n && haystack[i + j] == needle[j]) j++;
    if (j == n) return i;
  }
  return -1;
}

/* The string value of `"name":"..."` in `json`: its start, and its length in `*value_length`;
 * -1 when there is none. A plain scan, enough for the flat objects the gateway sends. */
static inline int32_t string_field(const char *json, int32_t length, const char *name, int32_t *value_length) {
  char key[64];
  int32_t n = text_length(name);
  if (n > 58) return -1;
  key[0] = '"';
  for (int32_t i = 0; i < n; i++) key[1 + i] = name[i];
  key[n + 1] = '"'; key[n + 2] = ':'; key[n + 3] = '"'; key[n + 4] = 0;
  int32_t at = find(json, length, key);
  if (at < 0) return -1;
  int32_t start = at + n + 4, end = start;
  while (end < length && json[end] != '"') end += json[end] == '\\' ? 2 : 1;
  if (end >= length) return -1;
  *value_length = end - start;
  return start;
}

/* The integer value of `"name":123` in `json`, or `otherwise`. */
static inline int64_t number_field(const char *json, int32_t length, const char *name, int64_t otherwise) {
  char key[64];
  int32_t n = text_length(name);
  if (n > 59) return otherwise;
  key[0] = '"';
  for (int32_t i = 0; i < n; i++) key[1 + i] = name[i];
  key[n + 1] = '"'; key[n + 2] = ':'; key[n + 3] = 0;
  int32_t at = find(json, length, key);
  if (at < 0) return otherwise;
  int32_t i = at + n + 3;
  int negative = i < length && json[i] == '-';
  if (negative) i++;
  if (i >= length || json[i] < '0' || json[i] > '9') return otherwise;
  int64_t value = 0;
  while (i < length && json[i] >= '0' && json[i] <= '9') value = value * 10 + (json[i++] - '0');
  return negative ? -value : value;
}

/* Writes `value` in decimal at `out`; returns the digits written. */
static inline int32_t put_number(char *out, int64_t value) {
  char digits[24];
  int32_t n = 0, k = 0;
  if (value < 0) { out[k++] = '-'; value = -value; }
  do { digits[n++] = (char)('0' + value % 10); value /= 10; } while (value > 0);
  while (n) out[k++] = digits[--n];
  return k;
}

/* Appends `length` bytes of `text` at `out + *at`. */
static inline void put(char *out, int32_t *at, const char *text, int32_t length) {
  for (int32_t i = 0; i < length; i++) out[(*at)++] = text[i];
}

static inline void put_text(char *out, int32_t *at, const char *text) {
  put(out, at, text, text_length(text));
}

#endif
