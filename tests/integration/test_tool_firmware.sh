#!/bin/sh
# fota sign input forms: the same firmware as ELF, Intel HEX and raw binary
# gives the same payload, load address and signed image; HEX and ELF errors
# name the line or section.
set -eu
. "$(dirname "$0")/tool_lib.sh"
need arm-none-eabi-gcc arm-none-eabi-objcopy

# A tiny Cortex-M3 firmware: vector table and code at 0x08005200, a
# calibration block at 0x08005800 (a gap before it), initialised data whose
# load address (LMA) follows in flash while it runs from RAM (VMA), and .bss.
cat >fw.c <<'C'
void reset_handler(void);
static void default_handler(void)
{
    for (;;) {
    }
}
__attribute__((section(".vectors"), used)) void (*const vectors[])(void) = {
    (void (*)(void))0x20005000, reset_handler, default_handler, default_handler,
};
__attribute__((section(".cal"), used)) const unsigned char calibration[8] = {1, 2, 3, 4, 5, 6, 7, 8};
volatile unsigned int counter = 0x12345678u;
volatile unsigned int table[4] = {0xdeadbeefu, 1, 2, 3};
volatile unsigned int zeroed[64];
void reset_handler(void)
{
    for (;;) {
        counter++;
        zeroed[counter & 63] = table[counter & 3];
    }
}
C
cat >fw.ld <<'LD'
ENTRY(reset_handler)
MEMORY {
    FLASH (rx) : ORIGIN = 0x08005200, LENGTH = 64K
    RAM (rwx) : ORIGIN = 0x20000000, LENGTH = 20K
}
SECTIONS {
    .vectors : { KEEP(*(.vectors)) } > FLASH
    .text : { *(.text*) *(.rodata*) . = ALIGN(4); } > FLASH
    .cal 0x08005800 : { KEEP(*(.cal)) . = ALIGN(4); } > FLASH
    .data : { *(.data*) . = ALIGN(4); } > RAM AT > FLASH
    .bss (NOLOAD) : { *(.bss*) *(COMMON) } > RAM
    /DISCARD/ : { *(.ARM.exidx*) *(.comment) }
}
LD
CFLAGS="-mcpu=cortex-m3 -mthumb -Os -ffreestanding -nostdlib"
arm-none-eabi-gcc $CFLAGS -Wl,-T,fw.ld -o fw.elf fw.c
arm-none-eabi-objcopy -O binary --gap-fill 0xff fw.elf fw.bin
arm-none-eabi-objcopy -O ihex fw.elf fw.hex

"$FOTA" keygen -o key.pem >/dev/null
for form in elf hex bin; do
    expect 0 "sign fw.$form" "$FOTA" sign -k key.pem -V 3.1.4 -c 1 fw.$form -o fw.$form.img
    has "at 0x08005200, key id [0-9a-f]{16} \\(from (elf|hex|raw) input fw\\.$form\\)" "fw.$form summary"
done
same fw.elf.img fw.hex.img "ELF vs HEX image"
same fw.elf.img fw.bin.img "ELF vs raw image"
# The payload is objcopy's binary: 0xff in the gap, .data at its LMA, no .bss.
size=$(size fw.bin)
[ "$(u32 fw.elf.img 20)" -eq "$size" ] || fail "payload size $(u32 fw.elf.img 20), objcopy $size"
ok
dd if=fw.elf.img of=payload.bin bs=512 skip=1 2>/dev/null
head -c "$size" payload.bin >payload.cut
same payload.cut fw.bin "payload vs objcopy -O binary"
[ "$(hexof payload.cut $((0x600)) 8)" = 0102030405060708 ] || fail ".cal not at 0x08005800"
ok
[ "$(hexof payload.cut $((0x608)) 4)" = 78563412 ] || fail ".data not at its LMA after .cal"
ok
[ "$size" -lt $((0x608 + 20 + 64)) ] || fail ".bss included: payload is $size bytes"
ok
gap=$(hexof payload.cut $((0x5f0)) 16 | tr -d f)
[ -z "$gap" ] || fail "gap before .cal is not 0xff"
ok
expect 0 "verify the ELF-signed image" "$FOTA" verify -k key.pem fw.elf.img
# The ELF puts its own header in the first segment (at 0x08005000); those
# bytes must not become firmware.
arm-none-eabi-readelf -l fw.elf | grep -q "LOAD .* 0x08005000 " && ok
# A raw binary at its default address, or an explicit matching -a: same.
expect 0 "sign raw with -a" "$FOTA" sign -k key.pem -V 3.1.4 -c 1 -a 0x08005200 fw.bin -o a.img
same a.img fw.elf.img "raw with -a 0x08005200"
expect 1 "ELF with a different -a" "$FOTA" sign -k key.pem -V 3.1.4 -a 0x08000000 fw.elf -o x.img
has "fw.elf: the elf file places the firmware at 0x08005200, not at -a 0x08000000" "-a conflict"
# Forced formats.
expect 0 "-f elf" "$FOTA" sign -k key.pem -V 3.1.4 -c 1 -f elf fw.elf -o f.img
same f.img fw.elf.img "-f elf"
expect 0 "-f bin on an ELF" "$FOTA" sign -k key.pem -V 3.1.4 -f bin fw.elf -o raw.img
[ "$(u32 raw.img 20)" -eq "$(size fw.elf)" ] || fail "-f bin did not take the file as is"
ok
expect 1 "-f hex on a binary" "$FOTA" sign -k key.pem -V 3.1.4 -f hex fw.bin -o x.img
has "fw.bin:1: not an Intel HEX record" "-f hex on a binary"

# HEX variants: LF line ends (objcopy writes CRLF), 16-bit segment
# addressing, records out of order, start address records.
grep -q "$(printf '\r')" fw.hex || fail "objcopy's hex has no CRLF line ends"
tr -d '\r' <fw.hex >lf.hex
expect 0 "LF hex" "$FOTA" sign -k key.pem -V 3.1.4 -c 1 lf.hex -o lf.img
same lf.img fw.elf.img "LF hex"
[ "$(grep -c '^:02000004' fw.hex)" -eq 1 ] || fail "fw.hex: expected one address record"
{ sed -n 1p fw.hex; sed -n '2,$p' fw.hex | grep -v ':00000001FF' | sort -r; echo ':00000001FF'; } >shuffled.hex
cmp -s shuffled.hex fw.hex && fail "shuffled.hex is not shuffled"
ok
expect 0 "records out of order" "$FOTA" sign -k key.pem -V 3.1.4 -c 1 shuffled.hex -o shuf.img
same shuf.img fw.elf.img "shuffled hex"
# 0x1000:0x0010 -> 0x10010; data 11 22 33 44, then 55 at 0x10020 (gap of 0xff).
cat >seg.hex <<'HEX'
:020000021000EC
:040010001122334442
:01002000558A
:0400000300001000E9
:04000005080052009D
:00000001FF
HEX
expect 0 "segment-addressed hex" "$FOTA" sign -k key.pem -V 1.0.0 seg.hex -o seg.img
[ "$(hexof seg.img 24 4)" = 10000100 ] || fail "segment address: load address $(hexof seg.img 24 4)"
ok
[ "$(hexof seg.img 512 17)" = 11223344ffffffffffffffffffffffff55 ] || fail "segment hex payload"
ok

# HEX errors name the line.
# One data digit of line 3 changed (0 -> 1, anything else -> 0).
sed '3{s/^\(.\{9\}\)0/\11/;t
s/^\(.\{9\}\)./\10/;}' fw.hex >badsum.hex
[ "$(diff fw.hex badsum.hex | grep -c '^>')" -eq 1 ] || fail "badsum.hex: not one line changed"
ok
expect 1 "bad checksum" "$FOTA" sign -k key.pem -V 1.0.0 badsum.hex -o x.img
has "^fota: badsum\\.hex:3: checksum mismatch" "bad checksum names line 3"
[ ! -e x.img ] || fail "x.img written from a bad hex file"
ok
grep -v ':00000001FF' fw.hex >noeof.hex
expect 1 "no EOF record" "$FOTA" sign -k key.pem -V 1.0.0 noeof.hex -o x.img
has "noeof\\.hex:[0-9]+: no end-of-file record" "missing EOF record"
sed '2s/^:10/:1G/' fw.hex >badhex.hex
expect 1 "bad digit" "$FOTA" sign -k key.pem -V 1.0.0 badhex.hex -o x.img
has "badhex\\.hex:2: malformed record \\(bad hex digit in column 3\\)" "bad hex digit"
sed '2s/^:/:0/' fw.hex >odd.hex
expect 1 "odd digits" "$FOTA" sign -k key.pem -V 1.0.0 odd.hex -o x.img
has "odd\\.hex:2: malformed" "odd digit count"
{ sed -n '1,2p' fw.hex; echo garbage; sed -n '3,$p' fw.hex; } >text.hex
expect 1 "non-record line" "$FOTA" sign -k key.pem -V 1.0.0 text.hex -o x.img
has "text\\.hex:3: not an Intel HEX record" "non-record line"
{ cat fw.hex; echo ":040000001122334452"; } >after.hex
expect 1 "data after EOF" "$FOTA" sign -k key.pem -V 1.0.0 after.hex -o x.img
has "after\\.hex:[0-9]+: data after the end-of-file record" "data after EOF"
printf ':00000006FA\n:00000001FF\n' >type6.hex
expect 1 "unknown record type" "$FOTA" sign -k key.pem -V 1.0.0 type6.hex -o x.img
has "type6\\.hex:1: unknown record type 06" "unknown record type"
printf ':040010001122334442\n:040012001122334440\n:00000001FF\n' >overlap.hex
expect 1 "overlapping records" "$FOTA" sign -k key.pem -V 1.0.0 overlap.hex -o x.img
has "overlap\\.hex: line 2 overlaps line 1 at address 0x00000012" "overlap"

# ELF errors.
arm-none-eabi-gcc $CFLAGS -c -o fw.o fw.c
expect 1 "object file" "$FOTA" sign -k key.pem -V 1.0.0 fw.o -o x.img
has "fw\\.o: a relocatable object" "object refused"
# .data left at its RAM address (no AT> FLASH): the span gives it away.
sed 's/> RAM AT > FLASH/> RAM/' fw.ld >ram.ld
arm-none-eabi-gcc $CFLAGS -Wl,-T,ram.ld -o ram.elf fw.c
expect 1 "section at its RAM address" "$FOTA" sign -k key.pem -V 1.0.0 ram.elf -o x.img
has "ram\\.elf: the data spans 0x08005200\\.\\.0x20000013 .*AT>" "RAM-placed .data"
head -c 100 fw.elf >cut.elf
expect 1 "truncated ELF" "$FOTA" sign -k key.pem -V 1.0.0 cut.elf -o x.img
has "cut\\.elf: .*outside the file" "truncated ELF"

# A 64-bit ELF from the host compiler, against the host objcopy.
# Raw firmware whose first byte happens to be ':' is still raw: only text is
# taken for Intel HEX.
{ printf ':\001\002\003'; head -c 996 /dev/zero; } >colon.bin
expect 0 "sign raw firmware starting with ':'" "$FOTA" sign -k key.pem -V 1.0.0 colon.bin -o colon.img
[ "$(u32 colon.img 20)" -eq 1000 ] || fail "raw firmware starting with ':' was not read as raw"
ok

elf64="64-bit ELF skipped (no host cc/objcopy)"
if command -v cc >/dev/null 2>&1 && command -v objcopy >/dev/null 2>&1 &&
    cc -nostdlib -static -no-pie -o host.elf fw.c -Wl,-e,reset_handler 2>/dev/null &&
    [ "$(od -An -tu1 -j4 -N1 host.elf | tr -d ' ')" = 2 ]; then
    objcopy -O binary --gap-fill 0xff host.elf host.bin
    expect 0 "sign a 64-bit ELF" "$FOTA" sign -k key.pem -V 1.0.0 host.elf -o host.img
    dd if=host.img of=host.payload bs=512 skip=1 2>/dev/null
    head -c "$(size host.bin)" host.payload >host.cut
    same host.cut host.bin "64-bit ELF payload vs objcopy"
    [ "$(u32 host.img 20)" -eq "$(size host.bin)" ] || fail "64-bit ELF payload size"
    ok
    elf64="64-bit ELF checked"
fi

done_checks "$elf64"
