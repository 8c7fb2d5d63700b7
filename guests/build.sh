#!/usr/bin/env bash
# Rebuilds the example functions into guests/wasm/. The built modules are committed, so the
# shop and its tests need neither toolchain; CI runs this and fails if a module differs.
#
# Needs: node >= 20 with npm (AssemblyScript, pinned in assemblyscript/package-lock.json), and
# Debian's clang-14, lld-14, wasi-libc and libclang-rt-14-dev-wasm32 for the C guests:
#   apt-get install -y clang-14 lld-14 wasi-libc libclang-rt-14-dev-wasm32
# Both builds are reproducible: the same sources give the same bytes.
set -euo pipefail
cd "$(dirname "$0")"
out="$PWD/wasm"
mkdir -p "$out"

# AssemblyScript: the stub runtime (a bump allocator, no collector) suits an instance that
# lives for one invocation. Paths stay relative: abort messages carry them.
(
  cd assemblyscript
  [ -d node_modules/assemblyscript ] || npm ci --no-audit --no-fund --silent
  # Every module but the host calls' wrapper, which the others import.
  for source in assembly/*.ts; do
    name="$(basename "$source" .ts)"
    [ "$name" = emporium ] && continue
    npx asc "$source" -o "$out/$name.wasm" --optimize --runtime stub
  done
)

# C: freestanding with our own allocator, or with wasi-libc's malloc and string functions
# (the reactor model: no `main`, an `_initialize` the runtime calls). `--strip-all` drops the
# names and the compiler's version, so only the code decides the bytes.
(
  cd c
  clang-14 --target=wasm32 -nostdlib -O2 -Wl,--no-entry -Wl,--strip-all -o "$out/bot-rule.wasm" bot-rule.c bump.c
  clang-14 --target=wasm32-wasi --sysroot=/usr -O2 -mexec-model=reactor -Wl,--strip-all -o "$out/loyalty.wasm" loyalty.c
)
chmod 644 "$out"/*.wasm
ls -l "$out"
