/* A bot and abuse rule at the edge, before a route. A request whose user agent names a crawler
 * or a scripted client is refused with 403; a client address that sends more than LIMIT
 * requests within one minute is refused with 429 and told when to come back. The count lives
 * in the function's key-value space, one key per address and minute. Freestanding C. */
#include "emporium.h"

#define LIMIT 100

void *alloc(int32_t length);

static const char *const SIGNS[] = {"bot", "Bot", "spider", "crawl", "Scrapy", "python-requests", "HeadlessChrome"};

static int is_bot(const char *agent, int32_t length) {
  for (uint32_t i = 0; i < sizeof SIGNS / sizeof SIGNS[0]; i++)
    if (find(agent, length, SIGNS[i]) >= 0) return 1;
  return 0;
}

/* Counts this request in the address's minute; returns the count. */
static int64_t count(const char *address, int32_t address_length, int64_t minute) {
  char key[128], value[24];
  int32_t n = 0;
  put_text(key, &n, "hits:");
  put(key, &n, address, address_length < 64 ? address_length : 64);
  put_text(key, &n, ":");
  n += put_number(key + n, minute);
  int32_t found = host_kv_get(key, n, value, sizeof value);
  int64_t hits = 1;
  if (found > 0 && found < (int32_t)sizeof value) {
    int64_t before = 0;
    for (int32_t i = 0; i < found && value[i] >= '0' && value[i] <= '9'; i++) before = before * 10 + (value[i] - '0');
    hits = before + 1;
  }
  int32_t written = put_number(value, hits);
  host_kv_set(key, n, value, written);
  return hits;
}

EXPORT("handle") int64_t handle(const char *request, int32_t length) {
  static const char pass[] = "{\"action\":\"continue\"}";
  static const char blocked[] =
      "{\"action\":\"respond\",\"status\":403,\"headers\":{\"content-type\":\"application/problem+json\"},"
      "\"body\":{\"type\":\"about:blank\",\"title\":\"Forbidden\",\"status\":403,\"detail\":\"automated clients are not served here\"}}";
  int32_t agent_length = 0, address_length = 0;
  int32_t agent = string_field(request, length, "user-agent", &agent_length);
  if (agent >= 0 && is_bot(request + agent, agent_length)) {
    host_log(2, "refused a crawler", 17);
    return answer(blocked, sizeof blocked - 1);
  }
  int32_t address = string_field(request, length, "client_ip", &address_length);
  int64_t now = number_field(request, length, "now", 0);
  if (address < 0 || now <= 0) return answer(pass, sizeof pass - 1);
  if (count(request + address, address_length, now / 60) <= LIMIT) return answer(pass, sizeof pass - 1);
  char *out = alloc(320);
  int32_t n = 0;
  put_text(out, &n, "{\"action\":\"respond\",\"status\":429,\"headers\":{\"retry-after\":\"");
  n += put_number(out + n, 60 - now % 60);
  put_text(out, &n, "\",\"content-type\":\"application/problem+json\"},\"body\":{\"type\":\"about:blank\","
                    "\"title\":\"Too Many Requests\",\"status\":429,\"detail\":\"too many requests from this address\"}}");
  host_log(2, "refused an address over its limit", 33);
  return answer(out, n);
}
