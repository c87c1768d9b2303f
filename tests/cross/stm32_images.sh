#!/bin/sh
# Usage: stm32_images.sh SOURCE_ROOT OUTPUT_DIR FOTA_TOOL
#
# Cross-builds the STM32F103ZE port (ports/stm32f1/build.sh: bootloader and
# demo application), prints their sizes and checks that the bootloader fits
# its 16 KiB, that each vector table sits at the start of its area
# (0x08000000, and 0x08005200 for the application, which VTOR needs 512-byte
# aligned), and that `fota sign` makes a valid image of the application ELF
# loaded at 0x08005200. Fails (does not skip) without the Arm toolchain.
set -eu

root=${1:?usage: stm32_images.sh SOURCE_ROOT OUTPUT_DIR FOTA_TOOL}
out=${2:?usage: stm32_images.sh SOURCE_ROOT OUTPUT_DIR FOTA_TOOL}
fota=${3:?usage: stm32_images.sh SOURCE_ROOT OUTPUT_DIR FOTA_TOOL}

boot_addr=0x08000000
boot_budget=16384
app_addr=0x08005200

fail() {
    echo "cross-stm32-images: FAILED: $*" >&2
    exit 1
}

for tool in arm-none-eabi-gcc arm-none-eabi-objcopy arm-none-eabi-size \
    arm-none-eabi-nm arm-none-eabi-readelf; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "cross-stm32-images: FAILED: $tool not found." >&2
        echo "Install the Arm embedded toolchain (Debian: gcc-arm-none-eabi," >&2
        echo "binutils-arm-none-eabi, libnewlib-arm-none-eabi); this test must not be skipped." >&2
        exit 1
    fi
done
[ -x "$fota" ] || fail "$fota is not the fota tool"

rm -rf "$out"
mkdir -p "$out"
sh "$root/ports/stm32f1/build.sh" "$out" 1.2.3

arm-none-eabi-size "$out/boot.elf" "$out/app.elf"

# Flash use: text + data (the initial values of .data are stored in flash).
boot_flash=$(arm-none-eabi-size "$out/boot.elf" | awk 'NR == 2 { print $1 + $2 }')
echo "bootloader: $boot_flash bytes of flash (area $boot_budget)"
[ "$boot_flash" -le "$boot_budget" ] || fail "the bootloader does not fit 16 KiB"
boot_bin=$(wc -c < "$out/boot.bin")
[ "$boot_bin" -le "$boot_budget" ] || fail "boot.bin is $boot_bin bytes, over 16 KiB"

# section_addr ELF SECTION: the section's address as 0x%08x.
section_addr() {
    arm-none-eabi-readelf -S -W "$1" |
        awk -v s="$2" '{ for (i = 1; i < NF; i++) if ($i == s) { print "0x" $(i + 2); exit } }'
}
# symbol_addr ELF SYMBOL
symbol_addr() {
    arm-none-eabi-nm "$1" | awk -v s="$2" '$3 == s { print "0x" $1; exit }'
}

check_vectors() {
    elf=$1 want=$2
    sec=$(section_addr "$elf" .isr_vector)
    sym=$(symbol_addr "$elf" vector_table)
    entry=$(arm-none-eabi-readelf -h "$elf" | awk '/Entry point/ { print $NF }')
    reset=$(symbol_addr "$elf" Reset_Handler)
    echo "$(basename "$elf"): .isr_vector at $sec, vector_table at $sym, entry $entry"
    [ $((sec)) -eq $((want)) ] || fail "$elf: .isr_vector at $sec, not $want"
    [ $((sym)) -eq $((want)) ] || fail "$elf: vector_table at $sym, not $want"
    [ $((sec % 512)) -eq 0 ] || fail "$elf: vector table not 512-byte aligned (VTOR)"
    [ $((entry & ~1)) -eq $((reset)) ] || fail "$elf: entry $entry is not Reset_Handler"
}
check_vectors "$out/boot.elf" "$boot_addr"
check_vectors "$out/app.elf" "$app_addr"

# The binaries start with the vector table: word 0 the stack top in RAM,
# word 1 Reset_Handler with the Thumb bit set.
check_bin() {
    bin=$1 elf=$2
    set -- $(od -A n -t x4 -N 8 "$bin")
    sp=0x$1 pc=0x$2
    reset=$(symbol_addr "$elf" Reset_Handler)
    [ $((sp)) -eq $((0x20010000)) ] || fail "$bin: initial MSP $sp, not 0x20010000"
    [ $((pc)) -eq $((reset | 1)) ] || fail "$bin: reset vector $pc, not Reset_Handler|1"
}
check_bin "$out/boot.bin" "$out/boot.elf"
check_bin "$out/app.bin" "$out/app.elf"

# fota sign takes the application ELF: load address from the ELF.
"$fota/fota" keygen -o "$out/key.pem" >/dev/null
"$fota/fota" sign -k "$out/key.pem" -V 1.2.3 "$out/app.elf" -o "$out/app.img"
verify=$("$fota/fota" verify -k "$out/key.pem" "$out/app.img")
echo "$verify"
case $verify in
    *": OK,"*"payload at $app_addr"*) ;;
    *) fail "fota verify: $verify" ;;
esac
size=$(wc -c < "$out/app.img")
app_bin=$(wc -c < "$out/app.bin")
[ "$size" -eq $((512 + app_bin + 96)) ] ||
    fail "app.img is $size bytes, not header + app.bin ($app_bin) + trailer"
cmp -s -i 512:0 -n "$app_bin" "$out/app.img" "$out/app.bin" ||
    fail "the image's payload is not app.bin"

# The header C file fota pubkey --c writes is what the bootloader includes.
"$fota/fota" pubkey -k "$out/key.pem" --c > "$out/fota_public_key.h"
grep -q 'const uint8_t fota_public_key\[32\]' "$out/fota_public_key.h" ||
    fail "fota pubkey --c does not define fota_public_key[32]"
grep -q 'const uint8_t fota_public_key\[32\]' "$root/ports/stm32f1/fota_public_key.h" ||
    fail "ports/stm32f1/fota_public_key.h does not define fota_public_key[32]"

echo "cross-stm32-images: OK"
