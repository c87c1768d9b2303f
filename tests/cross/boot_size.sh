#!/bin/sh
# Usage: boot_size.sh SOURCE_ROOT OUTPUT_DIR
#
# Links the bootloader's share of the device core for the Cortex-M3
# (boot_size_main.c calls fota_boot_go; --gc-sections keeps what it needs)
# and checks it against the budget: the whole bootloader, with signature
# verification, must fit its 14 KiB link region (the 16 KiB area less the
# configuration page), and the core may take 12 KiB of it.
set -eu

root=${1:?usage: boot_size.sh SOURCE_ROOT OUTPUT_DIR}
out=${2:?usage: boot_size.sh SOURCE_ROOT OUTPUT_DIR}
budget=12288

mkdir -p "$out"
cd "$root"
arm-none-eabi-gcc -mcpu=cortex-m3 -mthumb -Os -ffreestanding -std=c11 \
    -Wall -Wextra -Werror -ffunction-sections -fdata-sections -Iinclude \
    tests/cross/boot_size_main.c core/boot.c core/boot_state.c core/crc32.c \
    core/image.c core/sha256.c core/sha512.c core/ed25519.c \
    -nostartfiles -Wl,--gc-sections -Wl,-e,Reset_Handler \
    --specs=nano.specs --specs=nosys.specs -o "$out/boot_size.elf"
arm-none-eabi-size "$out/boot_size.elf"
text=$(arm-none-eabi-size "$out/boot_size.elf" | awk 'NR == 2 { print $1 }')
echo "bootloader core linked for Cortex-M3: $text bytes of flash (budget $budget)"
if [ "$text" -gt "$budget" ]; then
    echo "boot-size: FAILED: over the budget" >&2
    exit 1
fi
