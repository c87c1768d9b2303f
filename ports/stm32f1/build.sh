#!/bin/sh
# Usage: sh ports/stm32f1/build.sh OUTPUT_DIR [APP_VERSION]
#
# Cross-builds the STM32F103ZE bootloader and the demo application with
# arm-none-eabi-gcc: OUTPUT_DIR/boot.elf, boot.bin (flash at 0x08000000),
# app.elf, app.bin (sign app.elf with `fota sign`; the signed image goes to
# 0x08005000). The bootloader compiles in ports/stm32f1/fota_public_key.h.
set -eu

out=${1:?usage: build.sh OUTPUT_DIR [APP_VERSION]}
version=${2:-1.0.0}
port=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$port/../.." && pwd)

mkdir -p "$out"
out=$(cd "$out" && pwd)

CC=${CC:-arm-none-eabi-gcc}
OBJCOPY=${OBJCOPY:-arm-none-eabi-objcopy}
cflags="-mcpu=cortex-m3 -mthumb -Os -std=c11 -ffreestanding
    -ffunction-sections -fdata-sections -Wall -Wextra -Werror
    -I$root/include -I$port"
ldflags="-nostartfiles -Wl,--gc-sections --specs=nano.specs --specs=nosys.specs
    -L$port"

# What the bootloader and the application use of the core.
core="$root/core/boot.c $root/core/boot_state.c $root/core/crc32.c
    $root/core/image.c $root/core/sha256.c $root/core/sha512.c $root/core/ed25519.c"
common="$port/startup.c $port/flash.c $port/uart.c"

# shellcheck disable=SC2086
$CC $cflags $port/boot_main.c $common $core $ldflags -T boot.ld \
    -Wl,-Map,"$out/boot.map" -o "$out/boot.elf"
# shellcheck disable=SC2086
$CC $cflags -DFOTA_APP_VERSION="\"$version\"" $port/app_main.c $common $core \
    $ldflags -T app.ld -Wl,-Map,"$out/app.map" -o "$out/app.elf"

$OBJCOPY -O binary "$out/boot.elf" "$out/boot.bin"
$OBJCOPY -O binary "$out/app.elf" "$out/app.bin"
echo "built $out/boot.elf $out/boot.bin $out/app.elf $out/app.bin"
