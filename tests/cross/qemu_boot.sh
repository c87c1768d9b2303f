#!/bin/sh
# Usage: qemu_boot.sh FIRMWARE_DIR VERSION FOTA_TOOL_DIR
#
# Runs the bootloader and the signed demo application built for QEMU's
# stm32vldiscovery (STM32F100RB; FIRMWARE_DIR/qemu from
# ports/stm32f1/build.sh, VERSION the one it was built with, signed with
# FIRMWARE_DIR/dev-key.pem) on qemu-system-arm, headless, with every
# instruction taking 1 ns of virtual time (-icount shift=0):
#
#   1. the flash as a provisioned device holds it (erased, but for the
#      bootloader, the image in the primary slot and a configuration record
#      from `fota devcfg`): the bootloader verifies the image and jumps; the
#      application prints its version, passes its self-test, confirms
#      itself, reads its configuration, starts the download agent over the
#      modem driver and runs its main loop (QEMU raises no USART transmit
#      interrupt, so nothing reaches a modem: the loop's first progress
#      line is what is checked);
#   2. the same flash with one payload byte of the image changed: the
#      bootloader refuses it with "digest mismatch", never jumps to it, and
#      starts the recovery loader instead;
#   3. the application signed with security counter 1: it boots (the boot
#      path writes nothing), and its confirm, which must store the counter,
#      fails with "I/O error": QEMU's flash is read-only and its flash
#      controller is not modelled, and the flash driver reports the write
#      that did not take instead of pretending;
#   4. the flash of run 1 with the primary slot's header erased: no valid
#      image, so the bootloader starts the recovery loader in its own area,
#      which reads the configuration and starts the download agent.
#
# The bootloader built for QEMU times the checks against a loop of known
# length (ports/stm32f1/boot_bench.c); this prints them as instruction
# counts. QEMU models no RCC, flash controller or IWDG on this board (they
# read as zero): the clock code must fall back to the 8 MHz HSI without
# hanging. Runs 1 and 2 write no flash: a plain boot writes nothing, and an
# image signed with counter 0 has nothing to confirm on a fresh state.
set -eu

. "$(cd "$(dirname "$0")/../integration" && pwd)/common.sh"

need_args 3 "FIRMWARE_DIR VERSION FOTA_TOOL_DIR" $#
fw=$(cd "$1/qemu" && pwd)
key=$(cd "$1" && pwd)/dev-key.pem
version=$2
fota=$3/fota
need qemu-system-arm od dd
need_exec "$fota"
[ -f "$fw/flash.bin" ] || fail "no $fw/flash.bin: run ports/stm32f1/build.sh"
[ -f "$key" ] || fail "no $key"

FAIL_LOGS=log
make_work qemu-boot

slot_offset=$((0x4800)) # the F100 primary slot, from the flash's start
header_size=512
calib_insns=2000000 # the bench loop (boot_bench.c)

# run NAME FLASH PATTERN: starts QEMU on FLASH, console (USART1) in
# NAME.log, the modem's USART3 on the FIFOs NAME-modem.in/.out, and waits
# until the console has a line matching PATTERN. Sets QPID.
run() {
    mkfifo "$1-modem.in" "$1-modem.out"
    qemu-system-arm -M stm32vldiscovery -nographic -monitor none \
        -icount shift=0 \
        -serial "file:$1.log" -serial null \
        -chardev "pipe,id=modem,path=$1-modem" -serial chardev:modem \
        -device "loader,file=$2,addr=0x08000000" 2>"$1.qemu" &
    QPID=$!
    PIDS="$PIDS $QPID"
    wait_for "$1.log" "$3" "$QPID" 200 "QEMU exited ($(cat "$1.qemu"))" \
        "no \"$3\" within 20 s"
}

stop() {
    kill "$QPID" 2>/dev/null || true
    wait "$QPID" 2>/dev/null || true
}

has() { # FILE PATTERN WHAT
    grep -q "$2" "$1" || fail "$3: no \"$2\" in $1"
    ok
}

# ticks FILE WHAT: the tick count on the bench line "bench: WHAT: N ticks".
ticks() {
    sed -n "s/^bench: $2: \\([0-9]*\\) ticks.*/\\1/p" "$1" | tr -d '\r'
}

# ---- 1. the signed image boots ----

# A provisioned device: its configuration record on the F100's page 15.
"$fota" -d store init -k "$key" --server 10.0.0.1:7000 >/dev/null
"$fota" -d store device add qemu-1 -o qemu-1.conf >/dev/null
"$fota" devcfg -p qemu-1.conf -o devcfg.bin --apn internet >/dev/null
cp "$fw/flash.bin" good.bin
dd if=devcfg.bin of=good.bin bs=1 seek=$((0x3C00)) conv=notrunc 2>/dev/null
run good good.bin "^fota: [0-9]* bytes received"
stop
tr -d '\r' < good.log > good.txt
cat good.txt

has good.txt "^fota boot: SYSCLK 8000000 Hz" "the clock did not fall back to the HSI"
has good.txt "^bench: signature check: [0-9]* ticks (success)" "signature check"
has good.txt "^bench: image verification: [0-9]* ticks (success)" "image verification"
has good.txt "^fota boot: boot$" "the bootloader's decision"
has good.txt "^fota boot: starting v$version at 0x08004A00" "the jump"
has good.txt "^fota demo app v$version$" "the application's version"
has good.txt "^self-test: ok" "the application's self-test"
has good.txt "^confirm: ok" "the application's confirm"
has good.txt "^agent: ok" "the download agent's start (configuration read, modem driver up)"
has good.txt "^fota: 0 bytes received, 0 connections" "the main loop (modem, link, agent) running"
[ "$(grep -c "fota demo app" good.txt)" -eq 1 ] || fail "the application started twice"
ok

loop=$(ticks good.txt "loop $calib_insns instructions")
sig=$(ticks good.txt "signature check")
all=$(ticks good.txt "image verification")
[ -n "$loop" ] && [ "$loop" -gt 0 ] || fail "no calibration loop count"
payload=$(sed -n 's/.*, \([0-9]*\) payload bytes.*/\1/p' good.txt)
echo "virtual time: $loop ticks per $calib_insns instructions"
echo "signature check: $((sig * calib_insns / loop)) instructions"
echo "image verification ($payload payload bytes: header, SHA-256, signature):" \
    "$((all * calib_insns / loop)) instructions"
[ "$sig" -gt 0 ] && [ "$all" -gt "$sig" ] ||
    fail "the whole verification ($all ticks) must take longer than its signature check ($sig)"
ok

# ---- 2. one payload byte changed: refused, no jump ----

cp "$fw/flash.bin" bad.bin
at=$((slot_offset + header_size + payload / 2))
byte=$(od -A n -t u1 -j "$at" -N 1 bad.bin | tr -d ' ')
printf '%b' "\\0$(printf '%03o' $((byte ^ 0x5A)))" |
    dd of=bad.bin bs=1 seek="$at" conv=notrunc 2>/dev/null
cmp -s "$fw/flash.bin" bad.bin && fail "the byte at $at did not change"
echo "changed the payload byte at flash offset $at ($byte -> $((byte ^ 0x5A)))"

run bad bad.bin "starting the recovery loader"
sleep 1 # the time it would take to jump and print, had it jumped
stop
tr -d '\r' < bad.log > bad.txt
cat bad.txt

has bad.txt "^bench: signature check: [0-9]* ticks (success)" \
    "the manifest (header, digest, signature) is untouched"
has bad.txt "^bench: image verification: [0-9]* ticks (digest mismatch)" \
    "the bench's verification"
has bad.txt "^fota boot: recovery, primary invalid: digest mismatch$" "the refusal"
if grep -q "fota boot: starting v\|fota demo app" bad.txt; then
    fail "the bootloader jumped to a changed image"
fi
ok

# ---- 3. a flash write on QEMU: the driver says it did not take ----

"$fota" sign -k "$key" -V "$version" -c 1 "$fw/fota-app.elf" -o counter1.img >/dev/null
cp "$fw/flash.bin" counter1.bin
dd if=counter1.img of=counter1.bin bs=1 seek="$slot_offset" conv=notrunc 2>/dev/null
run counter1 counter1.bin "^confirm: "
stop
tr -d '\r' < counter1.log > counter1.txt
grep "^fota boot: boot\|^fota demo app\|^confirm" counter1.txt
has counter1.txt "^fota demo app v$version$" "the counter-1 image boots"
has counter1.txt "^confirm: I/O error" "the confirm's flash write on read-only flash"
has counter1.txt "^fota: no device configuration at 0x08003C00: no record there" \
    "an unprovisioned device says what is missing"

# ---- 4. no valid image: the bootloader starts the recovery loader ----

# The provisioned flash of run 1 with the primary slot's header erased.
cp good.bin norecovery.bin
dd if=/dev/zero bs=512 count=1 2>/dev/null | tr '\000' '\377' |
    dd of=norecovery.bin bs=1 seek="$slot_offset" conv=notrunc 2>/dev/null
run recovery norecovery.bin "^fota: [0-9]* bytes received"
stop
tr -d '\r' < recovery.log > recovery.txt
cat recovery.txt
has recovery.txt "^fota boot: recovery, primary invalid: bad magic" "no valid image"
has recovery.txt "^fota boot: no valid image, starting the recovery loader at 0x08019400" \
    "the jump to the recovery loader"
has recovery.txt "^fota recovery: no valid application, downloading one" "the recovery loader runs"
has recovery.txt "^agent: ok" "the recovery loader's agent (configuration read, modem driver up)"
if grep -q "fota demo app" recovery.txt; then
    fail "an application ran without a valid image"
fi
ok

done_checks "4 QEMU runs (a signed image booted, a changed one refused, a write refused by \
QEMU's flash, the recovery loader started when no image is valid)"
