#!/bin/sh
# Through the modem: a device updated end to end by the device core's
# SIM800C driver (fota-sim run --modem) talking AT commands to fota-sim800,
# the SIM800C emulator, which carries the TCP connection to fotad over an
# emulated GPRS link, with faults injected: the first CIPSTART fails, the
# bearer is lost (+PDP: DEACT) after 9,000 bytes, the server side closes
# (CLOSED) after 20,000, and harmless URCs arrive at random moments. Then the
# device's flash is made again without an image: its recovery loader runs
# the agent through the emulator over a slower link, and the bootloader
# installs the image the server assigned.
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

# run_modem TTY OUT: fota-sim run through the modem on TTY until the device
# is up to date on 2.0.0 (bounded); its output in OUT, its time in RUN_TIME.
run_modem() {
    t0=$(now)
    RUN_STATUS=0
    timeout 200 "$SIM" run --simdir sim --modem "$1" --timeout 150 >"$2" 2>&1 || RUN_STATUS=$?
    RUN_TIME=$(seconds_since "$t0")
    [ "$RUN_STATUS" -eq 0 ] || fail "fota-sim run --modem $1 exited $RUN_STATUS"
    grep -q "up to date: runs 2.0.0+0, verified" "$2" || fail "$2: not up to date on 2.0.0"
    ok
    check_slots v2.img 1
    check_status 2.0.0 "confirmed 2.0.0" 1
}

setup 1
"$FOTA" -d data assign --group fleet 2.0.0 >/dev/null
start_emu modem --down 20000 --up 10000 --latency 30 --fail-connects 1 \
    --pdp-loss-after 9000 --close-after 20000 --urc-every 300 --seed 7
run_modem modem.tty sim.out
SIM_TIME=$RUN_TIME
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

# ---- the recovery loader, through the modem, over a slower link ----
# The device's flash made again without an image: its bootloader finds
# nothing valid, and its recovery loader runs the agent, which asks the
# server for the image assigned to it.
"$SIM" device init --flash sim/sim-0001.flash -k pub.pem >/dev/null
start_emu modem2 --down 10000 --up 5000 --latency 300 --urc-every 500 --seed 8
run_modem modem2.tty recover.out
REC_TIME=$RUN_TIME
grep -q "no valid image: the recovery loader runs the agent" recover.out ||
    fail "the recovery loader did not run"
ok
done_checks "through fota-sim800: updated to 2.0.0 in ${SIM_TIME} s over $conns \
connections ($failed failed or broken: CONNECT FAIL, +PDP: DEACT, CLOSED), \
$(figure data_bytes sim.out) data bytes; a device without an image recovered to 2.0.0 by its \
recovery loader in ${REC_TIME} s over a 0.6 s round trip"
