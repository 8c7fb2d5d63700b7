/* Loyalty points on order confirmed, triggered by events. When an order is placed, its points
 * (one per whole unit of its total) wait under `pending:<order>`; when it completes confirmed,
 * they are added to the shopper's balance under `points:<user>` and `points_awarded` is
 * emitted. Delivery is at least once: `awarded:<order>` makes a second delivery of the same
 * completion award nothing. Deliveries may also run out of order (two events queued together
 * run at once): a confirmed completion whose placement has not been seen yet traps, and the
 * shop retries it with backoff until the placement has run (or leaves it dead after its
 * attempts, for an order placed before the function was deployed). C with wasi-libc (malloc,
 * string.h, stdlib.h), no stdio. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "emporium.h"

#define AWARDED "emporium.functions.points_awarded.v1"

EXPORT("alloc") void *alloc(int32_t length) { return malloc((size_t)length); }

/* `prefix` followed by the string field `name` of the event, as a key; its length, or -1. */
static int32_t key_of(char *key, const char *prefix, const char *event, int32_t length, const char *name) {
  int32_t value_length = 0, n = 0;
  int32_t value = string_field(event, length, name, &value_length);
  if (value < 0 || value_length > 100) return -1;
  put_text(key, &n, prefix);
  put(key, &n, event + value, value_length);
  return n;
}

static int64_t read_number(const char *key, int32_t key_length) {
  char value[24];
  int32_t found = host_kv_get(key, key_length, value, sizeof value - 1);
  if (found < 0 || found >= (int32_t)sizeof value) return -1;
  value[found] = 0;
  return strtoll(value, NULL, 10);
}

static void write_number(const char *key, int32_t key_length, int64_t number) {
  char value[24];
  host_kv_set(key, key_length, value, put_number(value, number));
}

static int64_t placed(const char *event, int32_t length) {
  char key[128];
  int32_t n = key_of(key, "pending:", event, length, "order_id");
  int64_t points = number_field(event, length, "total_minor_units", 0) / 100;
  if (n > 0) write_number(key, n, points);
  return points;
}

/* Awards an order's pending points once; answers the points awarded. */
static int64_t completed(const char *event, int32_t length, char *out, int32_t *out_length) {
  char pending[128], awarded[128], balance_key[128];
  int32_t p = key_of(pending, "pending:", event, length, "order_id");
  int32_t a = key_of(awarded, "awarded:", event, length, "order_id");
  int32_t b = key_of(balance_key, "points:", event, length, "user_id");
  if (p < 0 || a < 0 || b < 0 || !memmem(event, (size_t)length, "\"confirmed\":true", 16)) return 0;
  if (read_number(awarded, a) >= 0) return 0;
  int64_t points = read_number(pending, p);
  if (points < 0) {
    static const char not_yet[] = "completed before its placement was seen; retry";
    host_log(2, not_yet, (int32_t)sizeof not_yet - 1);
    __builtin_trap();
  }
  if (points == 0) return 0;
  int64_t balance = read_number(balance_key, b);
  balance = (balance < 0 ? 0 : balance) + points;
  write_number(balance_key, b, balance);
  write_number(awarded, a, points);
  int32_t n = 0;
  put_text(out, &n, "{\"user_id\":\"");
  put(out, &n, balance_key + 7, b - 7);
  put_text(out, &n, "\",\"order_id\":\"");
  put(out, &n, awarded + 8, a - 8);
  put_text(out, &n, "\",\"points\":");
  n += put_number(out + n, points);
  put_text(out, &n, ",\"balance\":");
  n += put_number(out + n, balance);
  put_text(out, &n, "}");
  host_emit(AWARDED, (int32_t)strlen(AWARDED), out, n);
  *out_length = n;
  return points;
}

EXPORT("handle") int64_t handle(const char *event, int32_t length) {
  char *out = malloc(512);
  int32_t n = 0;
  if (find(event, length, "\"type\":\"emporium.orders.order_placed.") >= 0) {
    int64_t points = placed(event, length);
    put_text(out, &n, "{\"pending\":");
    n += put_number(out + n, points);
    put_text(out, &n, "}");
    return answer(out, n);
  }
  if (find(event, length, "\"type\":\"emporium.orders.order_completed.") >= 0 && completed(event, length, out, &n) > 0) {
    return answer(out, n);
  }
  put_text(out, &n, "{\"points\":0}");
  return answer(out, n);
}
