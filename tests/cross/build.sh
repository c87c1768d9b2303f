#!/bin/sh
# Usage: build.sh SOURCE_ROOT OUTPUT_DIR
#
# Compiles every core/*.c for the Cortex-M3 as the bootloader will, checks
# that the objects need nothing but each other, memcpy, memset, memcmp and
# compiler helpers (__aeabi_*, __gnu_*), that everything they export is
# fota_-prefixed, and prints their sizes. Every core/*.c that exists is built,
# so a file is checked as soon as it lands, before core/CMakeLists.txt lists it.
# -fstack-usage leaves each function's frame size in OUTPUT_DIR/*.su.
set -eu

root=${1:?usage: build.sh SOURCE_ROOT OUTPUT_DIR}
out=${2:?usage: build.sh SOURCE_ROOT OUTPUT_DIR}

for tool in arm-none-eabi-gcc arm-none-eabi-nm arm-none-eabi-size; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "cross-m3-core: FAILED: $tool not found." >&2
        echo "Install the Arm embedded toolchain (Debian: gcc-arm-none-eabi," >&2
        echo "binutils-arm-none-eabi); this test must not be skipped." >&2
        exit 1
    fi
done

mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -f "$out"/*.o "$out"/*.su
cd "$root"

set -- core/*.c
if [ ! -e "$1" ]; then
    echo "cross-m3-core: FAILED: no core/*.c under $root" >&2
    exit 1
fi

status=0
for src in "$@"; do
    obj="$out/$(basename "$src" .c).o"
    if ! arm-none-eabi-gcc -mcpu=cortex-m3 -mthumb -Os -ffreestanding \
            -Wall -Wextra -Werror -std=c11 -Iinclude -fstack-usage \
            -c "$src" -o "$obj"; then
        echo "cross-m3-core: $src does not compile for the Cortex-M3" >&2
        status=1
    fi
done
[ "$status" -eq 0 ] || exit 1

# Undefined symbols: other core objects (fota_*), the three libc routines the
# core may use, and libgcc helpers.
bad=$(arm-none-eabi-nm -u "$out"/*.o |
      awk 'NF == 2 && $1 == "U" &&
           $2 !~ /^(fota_|__aeabi_|__gnu_)/ &&
           $2 != "memcpy" && $2 != "memset" && $2 != "memcmp" { print $2 }' |
      sort -u)
if [ -n "$bad" ]; then
    echo "cross-m3-core: the core calls outside itself:" >&2
    for sym in $bad; do
        echo "  $sym (in: $(arm-none-eabi-nm -A -u "$out"/*.o |
              awk -v s="$sym" '$NF == s { sub(/:.*/, "", $1); print $1 }' |
              xargs -n1 basename | tr '\n' ' '))" >&2
    done
    status=1
fi

# Exported symbols: one fota_ prefix for the whole core; helpers are static.
exported=$(arm-none-eabi-nm -A -g --defined-only "$out"/*.o |
           awk '$NF !~ /^fota_/ { sub(/:.*/, "", $1); sub(/.*\//, "", $1);
                                  print "  " $NF " (" $1 ")" }')
if [ -n "$exported" ]; then
    echo "cross-m3-core: global symbols without the fota_ prefix:" >&2
    echo "$exported" >&2
    status=1
fi

echo "Cortex-M3 -Os object sizes (bytes):"
arm-none-eabi-size -t "$out"/*.o | sed "s|$out/||"
exit "$status"
