/* A bump allocator for freestanding guests: an instance lives for one invocation, so nothing is
 * ever freed. Grows the memory when it runs out, and answers 0 when the host refuses. */
#include "emporium.h"

extern unsigned char __heap_base;
static uintptr_t top = 0;

EXPORT("alloc") void *alloc(int32_t length) {
  if (!top) top = (uintptr_t)&__heap_base;
  uintptr_t start = (top + 7) & ~(uintptr_t)7, end = start + (uint32_t)length;
  uintptr_t have = __builtin_wasm_memory_size(0) * 65536u;
  if (end > have && __builtin_wasm_memory_grow(0, (end - have + 65535) / 65536) == (size_t)-1) return 0;
  top = end;
  return (void *)start;
}

void *memcpy(void *to, const void *from, size_t n) {
  unsigned char *a = to;
  const unsigned char *b = from;
  while (n--) *a++ = *b++;
  return to;
}

void *memset(void *to, int c, size_t n) {
  unsigned char *a = to;
  while (n--) *a++ = (unsigned char)c;
  return to;
}
