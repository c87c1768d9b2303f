#!/bin/sh
# Usage: sh ports/stm32f1/build.sh OUTPUT_DIR FOTA_TOOL [APP_VERSION]
#
# Cross-builds the STM32F1 firmware with arm-none-eabi-gcc (Cortex-M3, -Os,
# -Wall -Wextra -Werror; newlib-nano only for memcpy, memset and memcmp) and
# signs the demo application with FOTA_TOOL (the host build's bin/fota):
#
#   fota-boot.elf, .bin      STM32F103ZE bootloader: flash at 0x08000000
#   fota-recovery.elf, .bin  the recovery loader (recovery_main.c): flash at
#                            0x08077800; the bootloader starts it when no
#                            slot holds a valid image
#   fota-app.elf, .bin       the demo application, linked at 0x08005200
#   fota-app.img             the application signed: flash at 0x08005000
#   qemu/                    the same for QEMU's stm32vldiscovery (STM32F100RB):
#                            fota-boot (timing the checks, boot_bench.c),
#                            fota-recovery, fota-app, fota-app.img, and
#                            flash.bin, the whole 128 KiB flash with all three
#                            in place
#
# all in OUTPUT_DIR. The key: $FOTA_KEY when set, else OUTPUT_DIR/dev-key.pem,
# made once with `fota keygen` (a development key: keep real keys offline).
# The bootloaders compile in its public key (`fota pubkey --c`, written to
# OUTPUT_DIR/gen/). Prints a size table and fails when an image does not fit
# its area. APP_VERSION (default 1.0.0) is what the demo prints and the
# version it is signed with.
set -eu

out=${1:?usage: build.sh OUTPUT_DIR FOTA_TOOL [APP_VERSION]}
fota=${2:?usage: build.sh OUTPUT_DIR FOTA_TOOL [APP_VERSION]}
version=${3:-1.0.0}
port=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$port/../.." && pwd)

CC=${CC:-arm-none-eabi-gcc}
AR=${AR:-arm-none-eabi-ar}
OBJCOPY=${OBJCOPY:-arm-none-eabi-objcopy}
SIZE=${SIZE:-arm-none-eabi-size}

# The image format's defaults (fota sign): a 512-byte header, and the
# digest and signature after the payload.
header_size=512
trailer_size=96

die() {
    echo "build.sh: $*" >&2
    exit 1
}

for tool in "$CC" "$AR" "$OBJCOPY" "$SIZE"; do
    command -v "$tool" >/dev/null 2>&1 ||
        die "$tool not found: install gcc-arm-none-eabi, binutils-arm-none-eabi and libnewlib-arm-none-eabi"
done
[ -x "$fota" ] || die "$fota is not the fota tool (build it first)"
mkdir -p "$out/obj" "$out/gen"
out=$(cd "$out" && pwd)
obj=$out/obj

cflags="-mcpu=cortex-m3 -mthumb -Os -std=c11 -ffreestanding
    -ffunction-sections -fdata-sections -Wall -Wextra -Werror
    -I$root/include -I$port"
ldflags="-nostartfiles -Wl,--gc-sections --specs=nano.specs --specs=nosys.specs
    -L$port"

# ---- the key ----

key=${FOTA_KEY:-}
if [ -z "$key" ]; then
    key=$out/dev-key.pem
    [ -f "$key" ] || "$fota" keygen -o "$key"
fi
[ -f "$key" ] || die "no key at $key"
"$fota" pubkey -k "$key" --c > "$out/gen/fota_public_key.h.tmp"
mv "$out/gen/fota_public_key.h.tmp" "$out/gen/fota_public_key.h"
# shellcheck disable=SC2086
$CC $cflags -x c -c "$out/gen/fota_public_key.h" -o "$obj/key.o"

# ---- the device core: every core/*.c, so new modules link without edits ----

mkdir -p "$obj/core"
rm -f "$obj/core"/*.o "$obj/libfota-core.a"
for src in "$root"/core/*.c; do
    # shellcheck disable=SC2086
    $CC $cflags -c "$src" -o "$obj/core/$(basename "$src" .c).o"
done
$AR rcs "$obj/libfota-core.a" "$obj/core"/*.o

# ---- per board ----

# board NAME: the board's geometry and areas.
#   page, flash_size, ram      flash page, flash and RAM bytes
#   sysclk                     the fastest SYSCLK (clock.c)
#   boot_area                  what the bootloader may link from 0x08000000
#   slot, slot_pages           the primary slot and the largest image, in pages
#   min_stack                  RAM kept free for the stack (Ed25519 needs ~3 KiB)
board() {
    board_name=$1
    case $1 in
    f103ze)
        page=2048 flash_size=524288 ram=65536 sysclk=72000000
        boot_area=14336 slot=0x08005000 slot_pages=114 min_stack=0x2000
        recovery=0x08077800 recovery_area=32768 ram_flags=
        dir=$out ;;
    f100)
        page=1024 flash_size=131072 ram=8192 sysclk=24000000
        boot_area=15360 slot=0x08004800 slot_pages=41 min_stack=0x1000
        recovery=0x08019400 recovery_area=26624
        # 8 KiB of RAM: smaller frames and rings.
        ram_flags="-DDEVICE_DATA_CHUNK=256u -DDEVICE_LINK_BUF=128u -DDEVICE_MODEM_RX_SIZE=256u
            -DDEVICE_MODEM_TX_SIZE=128u -DMODEM_UART_RX_SIZE=256u -DMODEM_UART_TX_SIZE=256u"
        dir=$out/qemu ;;
    *) die "unknown board $1" ;;
    esac
    app_origin=$(printf '0x%08X' $((slot + header_size)))
    app_area=$((slot_pages * page))
    bflags="-DSTM32F1_PAGE_SIZE=${page}u -DSTM32F1_FLASH_SIZE=${flash_size}u
        -DSTM32F1_SYSCLK_MAX_HZ=${sysclk}u $ram_flags"
    bobj=$obj/$1
    mkdir -p "$dir" "$bobj"
    rm -f "$bobj"/*.o "$bobj"/*.a
}

# compile OUT.o SOURCE [FLAGS...]
compile() {
    o=$1 src=$2
    shift 2
    # shellcheck disable=SC2086
    $CC $cflags $bflags "$@" -c "$src" -o "$o"
}

# Every other ports/stm32f1/*.c (drivers, recovery.c, boot_bench.c, and the
# board's layout) goes into an archive: an image pulls only what it calls, so
# the bootloader carries no modem ring buffers, and a new driver file needs
# no edit here. The mains and the startup code are linked by name.
drivers() {
    for src in "$port"/*.c; do
        name=$(basename "$src" .c)
        case $name in
        boot_main | app_main | recovery_main | startup | layout_*) continue ;;
        esac
        compile "$bobj/$name.o" "$src"
    done
    compile "$bobj/layout_$1.o" "$port/layout_$1.c"
    $AR rcs "$bobj/libport.a" "$bobj"/*.o
    compile "$bobj/startup.obj" "$port/startup.c"
}

# memory_ld FILE ORIGIN LENGTH: the image's MEMORY, then sections.ld.
memory_ld() {
    cat > "$1" <<EOF
/* Generated by ports/stm32f1/build.sh. */
MEMORY
{
    FLASH (rx) : ORIGIN = $2, LENGTH = $3
    RAM (rwx) : ORIGIN = 0x20000000, LENGTH = $ram
}
_min_stack = $min_stack;
INCLUDE sections.ld
EOF
}

# link NAME ORIGIN LENGTH OBJECTS...: DIR/NAME.elf, .bin, .map
link() {
    name=$1 length=$3
    memory_ld "$bobj/$name.ld" "$2" "$3"
    shift 3
    # shellcheck disable=SC2086
    $CC $cflags "$bobj/startup.obj" "$@" \
        -Wl,--start-group "$bobj/libport.a" "$obj/libfota-core.a" -Wl,--end-group \
        $ldflags -T "$bobj/$name.ld" -Wl,-Map,"$dir/$name.map" -o "$dir/$name.elf" ||
        die "linking $name ($board_name) failed (\"region FLASH overflowed\": it does not fit its $length bytes)"
    $OBJCOPY -O binary "$dir/$name.elf" "$dir/$name.bin"
}

sizes=$obj/sizes
: > "$sizes"
# size_row BOARD IMAGE FILE AREA: one line of the table; FILE is what goes
# into flash (the .bin, or the signed .img).
size_row() {
    # shellcheck disable=SC2046
    set -- "$@" $(wc -c < "$dir/$3") $($SIZE "$dir/${2%.*}.elf" | awk 'NR == 2 { print $1, $2, $3 }')
    echo "$1 $2 $6 $7 $8 $5 $4" >> "$sizes"
}

# boot_image NAME FLAGS...: a bootloader from boot_main.c, at 0x08000000.
boot_image() {
    name=$1
    shift
    compile "$bobj/$name.o" "$port/boot_main.c" "$@"
    link "$name" 0x08000000 $boot_area "$bobj/$name.o" "$obj/key.o"
    size_row "$board_name" "$name" "$name.bin" $boot_area
}

# app_image: the demo application, after the image header in the primary
# slot, and fota-app.img, it signed.
app_image() {
    compile "$bobj/app_main.o" "$port/app_main.c" "-DFOTA_APP_VERSION=\"$version\""
    link fota-app "$app_origin" $((app_area - header_size - trailer_size)) "$bobj/app_main.o" \
        "$obj/key.o"
    "$fota" sign -k "$key" -V "$version" "$dir/fota-app.elf" -o "$dir/fota-app.img"
    size_row "$board_name" fota-app.img fota-app.img $app_area
}

# recovery_image: the recovery loader, in its own area.
recovery_image() {
    compile "$bobj/recovery_main.o" "$port/recovery_main.c"
    link fota-recovery "$recovery" $recovery_area "$bobj/recovery_main.o" "$obj/key.o"
    size_row "$board_name" fota-recovery fota-recovery.bin $recovery_area
}

# The product.
board f103ze
drivers f103ze
boot_image fota-boot
recovery_image
app_image

# QEMU's board.
board f100
drivers f100
boot_image fota-boot -DSTM32F1_BOOT_BENCH
recovery_image
app_image
# The whole flash as a fresh device holds it: erased (0xFF) but for the
# bootloader, the recovery loader, and the signed application at the start
# of the primary slot.
dd if=/dev/zero bs=1024 count=$((flash_size / 1024)) 2>/dev/null |
    tr '\000' '\377' > "$dir/flash.bin"
dd if="$dir/fota-boot.bin" of="$dir/flash.bin" conv=notrunc 2>/dev/null
dd if="$dir/fota-recovery.bin" of="$dir/flash.bin" bs=1024 \
    seek=$(((recovery - 0x08000000) / 1024)) conv=notrunc 2>/dev/null
dd if="$dir/fota-app.img" of="$dir/flash.bin" bs=1024 \
    seek=$(((slot - 0x08000000) / 1024)) conv=notrunc 2>/dev/null

# ---- the size table ----

echo
echo "Flash: text + data (the .bin), or the signed image for an application;"
echo "area: the bootloader's link region, the recovery area, or the slot's largest image."
awk 'BEGIN { printf "%-7s %-14s %7s %6s %6s %7s %7s %6s\n",
                    "board", "image", "text", "data", "bss", "flash", "area", "use" }
     { printf "%-7s %-14s %7d %6d %6d %7d %7d %5.1f%%\n",
              $1, $2, $3, $4, $5, $6, $7, 100 * $6 / $7 }' "$sizes"
over=$(awk '$6 > $7 { print "  " $1 " " $2 ": " $6 " bytes, area " $7 }' "$sizes")
[ -z "$over" ] || die "images over their area:
$over"
echo "built in $out"
