#!/bin/sh
# A tampered image in the store: the devices download it, refuse it (digest
# mismatch) and report it; fota status shows why; fota-sim fails and says
# why; fotad keeps serving, and a valid assignment then updates the devices.
set -eu
. "$(dirname "$0")/e2e_lib.sh"
DEVICES=10

setup $DEVICES
"$SIM" mkfw -V 2.0.1 -s 30000 -o v201.bin
"$FOTA" sign -k key.pem -V 2.0.1 -c 2 v201.bin -o evil.img >/dev/null
# One payload byte flipped: the signed manifest still verifies, the digest
# of the whole image does not.
printf 'X' | dd of=evil.img bs=1 seek=4000 conv=notrunc status=none
"$FOTA" -d data image add evil.img >add.out 2>&1 && fail "fota image add took a tampered image"
"$FOTA" -d data image add --no-verify evil.img >noverify.out 2>&1
"$FOTA" -d data assign --group fleet 2.0.1 >assign.out 2>&1
run_sim sim1.out --timeout 120
[ "$SIM_STATUS" -eq 1 ] || fail "fota-sim run exited $SIM_STATUS on a tampered image, not 1"
refused=$(grep -c 'FAIL (refused 2.0.1: digest mismatch (reported))' sim1.out || true)
[ "$refused" -eq "$DEVICES" ] || fail "$refused devices said they refused 2.0.1, not $DEVICES"
[ "$(figure failed sim1.out)" = "$DEVICES" ] || fail "fota-sim: not $DEVICES devices failed"
ok
check_slots v1.img $DEVICES
check_status 1.0.0 "refused 2.0.1: digest mismatch" $DEVICES
kill -0 "$FOTAD_PID" || fail "fotad died"
ok

"$FOTA" -d data assign --group fleet 2.0.0 >/dev/null
run_sim sim2.out --timeout 120
[ "$SIM_STATUS" -eq 0 ] || fail "fota-sim run exited $SIM_STATUS after a valid assignment"
check_slots v2.img $DEVICES
check_status 2.0.0 "confirmed 2.0.0" $DEVICES
stop_fotad TERM
check_store
done_checks "$DEVICES devices refused the tampered 2.0.1 after downloading \
$(figure data_bytes sim1.out) bytes (digest mismatch, reported), then updated to 2.0.0"
