#!/bin/sh
# Usage: stm32_images.sh SOURCE_ROOT OUTPUT_DIR FOTA_TOOL_DIR VERSION
#
# Builds the STM32F1 firmware the way `make firmware` does
# (ports/stm32f1/build.sh, which prints the size table and fails when an
# image does not fit its area), then checks what it made, for the
# STM32F103ZE and for the STM32F100 QEMU runs:
#
#   - the bootloader fits 14 KiB on the F103ZE (page 7, the configuration
#     page, stays out), 15 KiB on the F100; the recovery loader its 32 KiB
#     at 0x08077800;
#   - each vector table sits at the start of its area (0x08000000, the
#     recovery area, and the slot + 0x200 for the application, 512-byte
#     aligned for VTOR), starts
#     with the top of RAM and Reset_Handler, and has the USART handlers at
#     IRQ 37 and 39 when the image links their drivers;
#   - the signed images verify with the key, their payload is the .bin, and
#     the bootloaders hold that key's public half;
#   - FOTA_KEY selects the key; without it a development key is made once
#     and kept;
#   - the C library gives nothing but memcpy, memset and memcmp.
#
# Fails (does not skip) without the Arm toolchain.
set -eu

root=${1:?usage: stm32_images.sh SOURCE_ROOT OUTPUT_DIR FOTA_TOOL_DIR VERSION}
out=${2:?usage: stm32_images.sh SOURCE_ROOT OUTPUT_DIR FOTA_TOOL_DIR VERSION}
fota=${3:?usage: stm32_images.sh SOURCE_ROOT OUTPUT_DIR FOTA_TOOL_DIR VERSION}/fota
version=${4:?usage: stm32_images.sh SOURCE_ROOT OUTPUT_DIR FOTA_TOOL_DIR VERSION}
checks=0

fail() {
    echo "cross-stm32-images: FAILED: $*" >&2
    exit 1
}

ok() {
    checks=$((checks + 1))
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
out=$(cd "$out" && pwd)

# A build with FOTA_KEY signs with that key and makes no key of its own.
"$fota" keygen -o "$out/given-key.pem" >/dev/null
FOTA_KEY=$out/given-key.pem sh "$root/ports/stm32f1/build.sh" "$out/keyed" "$fota" "$version" \
    >"$out/keyed.log" 2>&1 || { cat "$out/keyed.log"; fail "build.sh with FOTA_KEY"; }
"$fota" verify -k "$out/given-key.pem" "$out/keyed/fota-app.img" >/dev/null ||
    fail "FOTA_KEY: the image is not signed with the given key"
[ ! -e "$out/keyed/dev-key.pem" ] || fail "FOTA_KEY: a development key was made anyway"
ok

# The build the checks below and the QEMU test (cross-qemu-boot) use.
FOTA_KEY='' sh "$root/ports/stm32f1/build.sh" "$out" "$fota" "$version"
key=$out/dev-key.pem
[ -f "$key" ] || fail "no development key made"
key_sum=$(cksum < "$key")
FOTA_KEY='' sh "$root/ports/stm32f1/build.sh" "$out" "$fota" "$version" >/dev/null 2>&1 ||
    fail "the second build"
[ "$(cksum < "$key")" = "$key_sum" ] || fail "the development key changed between builds"
ok

# section_addr ELF SECTION: the section's address as 0x%08x.
section_addr() {
    arm-none-eabi-readelf -S -W "$1" |
        awk -v s="$2" '{ for (i = 1; i < NF; i++) if ($i == s) { print "0x" $(i + 2); exit } }'
}
# symbol_addr ELF SYMBOL
symbol_addr() {
    arm-none-eabi-nm "$1" | awk -v s="$2" '$3 == s { print "0x" $1; exit }'
}
# word BIN INDEX: the INDEXth 32-bit little-endian word of BIN, as 0x%x.
word() {
    echo "0x$(od -A n -t x4 -j $(($2 * 4)) -N 4 "$1" | tr -d ' ')"
}

# check_image ELF ADDR AREA MSP: where it is linked, what it starts with.
check_image() {
    elf=$1 want=$2 area=$3 msp=$4
    bin=${elf%.elf}.bin
    sec=$(section_addr "$elf" .isr_vector)
    sym=$(symbol_addr "$elf" vector_table)
    entry=$(arm-none-eabi-readelf -h "$elf" | awk '/Entry point/ { print $NF }')
    reset=$(symbol_addr "$elf" Reset_Handler)
    size=$(wc -c < "$bin")
    echo "$(basename "$(dirname "$elf")")/$(basename "$elf"): .isr_vector at $sec," \
        "entry $entry, $size bytes (area $area)"
    [ $((sec)) -eq $((want)) ] || fail "$elf: .isr_vector at $sec, not $want"
    [ $((sym)) -eq $((want)) ] || fail "$elf: vector_table at $sym, not $want"
    [ $((sec % 512)) -eq 0 ] || fail "$elf: vector table not 512-byte aligned (VTOR)"
    [ $((entry & ~1)) -eq $((reset)) ] || fail "$elf: entry $entry is not Reset_Handler"
    [ "$size" -le "$area" ] || fail "$bin is $size bytes, over its area of $area"
    [ $(($(word "$bin" 0))) -eq $((msp)) ] || fail "$bin: initial MSP $(word "$bin" 0), not $msp"
    [ $(($(word "$bin" 1))) -eq $((reset | 1)) ] ||
        fail "$bin: reset vector $(word "$bin" 1), not Reset_Handler|1"
    ok
}

# check_irq ELF IRQ HANDLER: the vector of IRQ is HANDLER (Thumb bit set).
check_irq() {
    got=$(word "${1%.elf}.bin" $((16 + $2)))
    sym=$(symbol_addr "$1" "$3")
    [ -n "$sym" ] && [ $((got)) -eq $((sym | 1)) ] ||
        fail "$1: IRQ $2 vector $got is not $3"
    ok
}

# check_signed IMG BIN KEY LOAD_ADDR: verifies, and its payload is BIN.
check_signed() {
    verify=$("$fota" verify -k "$3" "$1")
    echo "$verify"
    case $verify in
        *": OK,"*"payload at $4"*) ;;
        *) fail "fota verify: $verify" ;;
    esac
    size=$(wc -c < "$1")
    bin_size=$(wc -c < "$2")
    [ "$size" -eq $((512 + bin_size + 96)) ] ||
        fail "$1 is $size bytes, not header + $2 ($bin_size) + trailer"
    cmp -s -i 512:0 -n "$bin_size" "$1" "$2" || fail "the payload of $1 is not $2"
    ok
}

# check_key ELF: the image's fota_public_key is the key's public half.
check_key() {
    want=$("$fota" pubkey -k "$key" --c | sed -n 's/^ *\(0x.*\),$/\1/p' |
           tr -d ' \n' | sed 's/0x//g; s/,//g')
    addr=$(symbol_addr "$1" fota_public_key)
    [ -n "$addr" ] || fail "$1 has no fota_public_key"
    base=$(section_addr "$1" .isr_vector) # where the .bin starts
    got=$(od -A n -t x1 -j $((addr - base)) -N 32 "${1%.elf}.bin" | tr -d ' \n')
    [ "$got" = "$want" ] || fail "$1: compiled-in key $got, not $want"
    ok
}

# check_libc MAP: only memcpy, memset and memcmp come from the C library.
check_libc() {
    extra=$(awk '/^Archive member included/ { on = 1; next }
                 /^(Discarded input sections|Allocating common|Memory Configuration)/ { on = 0 }
                 on' "$1" |
            sed -n 's/.*\/\(libc[^/(]*\.a\)(\([^)]*\)).*/\1(\2)/p' |
            grep -v -e '-memcpy' -e '-memset' -e '-memcmp' || true)
    [ -z "$extra" ] || fail "$1 links more of the C library: $extra"
    ok
}

f103=$out f100=$out/qemu
check_image "$f103/fota-boot.elf" 0x08000000 14336 0x20010000
check_image "$f103/fota-recovery.elf" 0x08077800 32768 0x20010000
check_image "$f103/fota-app.elf" 0x08005200 232864 0x20010000
check_image "$f100/fota-boot.elf" 0x08000000 15360 0x20002000
check_image "$f100/fota-recovery.elf" 0x08019400 26624 0x20002000
check_image "$f100/fota-app.elf" 0x08004A00 41376 0x20002000

for elf in "$f103/fota-app.elf" "$f100/fota-app.elf" "$f103/fota-recovery.elf"; do
    check_irq "$elf" 37 USART1_IRQHandler
    check_irq "$elf" 39 USART3_IRQHandler
done
check_irq "$f103/fota-boot.elf" 37 USART1_IRQHandler
# The bootloader does not link the modem driver, nor its ring buffers.
check_irq "$f103/fota-boot.elf" 39 Default_Handler

check_signed "$f103/fota-app.img" "$f103/fota-app.bin" "$key" 0x08005200
check_signed "$f100/fota-app.img" "$f100/fota-app.bin" "$key" 0x08004a00
for elf in "$f103/fota-boot.elf" "$f103/fota-recovery.elf" "$f100/fota-boot.elf" \
    "$f100/fota-recovery.elf"; do
    check_key "$elf"
done
for map in "$f103"/*.map "$f100"/*.map; do
    check_libc "$map"
done

# The QEMU flash image: the bootloader at 0, the signed image at the slot.
cmp -s -n "$(wc -c < "$f100/fota-boot.bin")" "$f100/flash.bin" "$f100/fota-boot.bin" ||
    fail "qemu/flash.bin does not start with the bootloader"
cmp -s -i $((0x4800)):0 -n "$(wc -c < "$f100/fota-app.img")" "$f100/flash.bin" \
    "$f100/fota-app.img" || fail "qemu/flash.bin does not hold the image at 0x08004800"
cmp -s -i $((0x19400)):0 -n "$(wc -c < "$f100/fota-recovery.bin")" "$f100/flash.bin" \
    "$f100/fota-recovery.bin" || fail "qemu/flash.bin does not hold the recovery loader at 0x08019400"
[ "$(wc -c < "$f100/flash.bin")" -eq 131072 ] || fail "qemu/flash.bin is not 128 KiB"
ok

echo "cross-stm32-images: OK, $checks checks passed (6 images, 2 boards)"
