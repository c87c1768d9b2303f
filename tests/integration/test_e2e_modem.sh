#!/bin/sh
# Through the modem: a device updated end to end by the device core's
# SIM800C driver (fota-sim run --modem) talking AT commands to fota-sim800,
# the SIM800C emulator, which carries the TCP connection to fotad over an
# emulated GPRS link, with faults injected: the first CIPSTART fails, the
# bearer is lost (+PDP: DEACT) after 9,000 bytes, the server side closes
# (CLOSED) after 20,000, and harmless URCs arrive at random moments. Then a
# device without an application runs the recovery loader through the
# emulator against fotad's legacy listener (--legacy-serve image), and the
# bootloader installs what it fetched.
set -eu
. "$(dirname "$0")/e2e_lib.sh"
EMU=$BIN/fota-sim800
need_exec "$EMU"

# start_emu NAME ARGS...: fota-sim800 on the link NAME.tty; waits for it.
start_emu() {
    emu_name=$1
    shift
    "$EMU" --link "$emu_name.tty" --log "$emu_name.log" "$@" >"$emu_name.out" 2>&1 &
    EMU_PID=$!
    PIDS="$PIDS $EMU_PID"
    wait_for "$emu_name.out" "ready on" "$EMU_PID" 100 "fota-sim800 exited at start" \
        "fota-sim800 not ready within 10 s"
}

setup 1
"$FOTA" -d data assign --group fleet 2.0.0 >/dev/null
start_emu modem --down 20000 --up 10000 --latency 30 --fail-connects 1 \
    --pdp-loss-after 9000 --close-after 20000 --urc-every 300 --seed 7
t0=$(now)
SIM_STATUS=0
timeout 200 "$SIM" run --simdir sim --modem modem.tty --timeout 150 >sim.out 2>&1 ||
    SIM_STATUS=$?
SIM_TIME=$(seconds_since "$t0")
[ "$SIM_STATUS" -eq 0 ] || fail "fota-sim run --modem exited $SIM_STATUS"
grep -q "up to date: runs 2.0.0+0, verified" sim.out || fail "no 'up to date' line"
ok
check_slots v2.img 1
check_status 2.0.0 "confirmed 2.0.0" 1
for fault in "fault connect-fail" "fault pdp-loss after 9000 bytes" "fault close-after 20000"; do
    grep -q "$fault" modem.log || fail "the emulator's log has no '$fault'"
    ok
done
conns=$(figure connections sim.out)
failed=$(figure failed_connections sim.out)
[ "$failed" -ge 3 ] || fail "$failed connections failed or broke, expected at least 3"
[ "$conns" -ge 3 ] || fail "$conns connections opened, expected at least 3"
ok
kill "$EMU_PID"

# ---- the recovery loader, through the modem ----
"$SIM" device init --flash rec.flash -k pub.pem >/dev/null
launch_fotad legacy legacy.out "^legacy listening on " listen -d data \
    --legacy-listen 127.0.0.1:0 --legacy-image v2.img --legacy-serve image
start_emu modem2 --down 20000 --up 10000 --latency 30 --urc-every 500 --seed 8
REC_STATUS=0
timeout 200 "$SIM" device recover --flash rec.flash --server "127.0.0.1:$LEGACY_PORT" \
    --modem modem2.tty --timeout 150 >recover.out 2>&1 || REC_STATUS=$?
[ "$REC_STATUS" -eq 0 ] || fail "fota-sim device recover exited $REC_STATUS"
grep -q "^reset: recovered 2.0.0+0: .* -> running 2.0.0+0" recover.out ||
    fail "the bootloader did not install the recovered image"
tail -c +$((SLOT_OFFSET + 1)) rec.flash | head -c "$(wc -c <v2.img)" >rec-slot.bin
cmp -s rec-slot.bin v2.img || fail "the recovered primary slot is not v2.img"
ok
done_checks "through fota-sim800: updated to 2.0.0 in ${SIM_TIME} s over $conns \
connections ($failed failed or broken: CONNECT FAIL, +PDP: DEACT, CLOSED), \
$(figure data_bytes sim.out) data bytes; recovery of $(wc -c <v2.img) bytes over the \
legacy protocol, installed"
