#!/bin/sh
# Bytes corrupted on the link: fota-sim flips a bit in the body or CRC of
# received frames at random (--corrupt); the device's CRC check catches
# every one (it answers ERROR BAD_CRC, writes nothing of the frame, closes),
# and the next connection resumes. Every device ends on 2.0.0, byte-exact.
set -eu
. "$(dirname "$0")/e2e_lib.sh"
DEVICES=20

setup $DEVICES
"$FOTA" -d data assign --group fleet 2.0.0 >/dev/null
run_sim sim.out --corrupt 0.05 --backoff 20 --seed 11 --timeout 200
[ "$SIM_STATUS" -eq 0 ] || fail "fota-sim run exited $SIM_STATUS"
corrupted=$(figure corrupted sim.out)
caught=$(figure crc_errors sim.out)
[ "$corrupted" -ge 10 ] || fail "only $corrupted frames corrupted: the test shows little"
[ "$caught" -eq "$corrupted" ] ||
    fail "$corrupted frames corrupted but $caught ERROR BAD_CRC sent: not every one caught"
ok
check_slots v2.img $DEVICES
check_status 2.0.0 "confirmed 2.0.0" $DEVICES
stop_fotad TERM
check_store
done_checks "$DEVICES devices updated over a link that corrupted $corrupted frames \
(each caught by its CRC: $caught ERROR BAD_CRC), in ${SIM_TIME} s"
