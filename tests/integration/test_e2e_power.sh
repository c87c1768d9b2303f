#!/bin/sh
# Power cuts at random flash operations, in downloads and in installs: the
# devices reboot through the bootloader and all end on 2.0.0, confirmed.
set -eu
. "$(dirname "$0")/e2e_lib.sh"
DEVICES=40

setup $DEVICES
"$FOTA" -d data assign --group fleet 2.0.0 >/dev/null
run_sim sim.out --power-cuts 0.6 --seed 11 --timeout 150
[ "$SIM_STATUS" -eq 0 ] || fail "fota-sim run exited $SIM_STATUS"
[ "$(figure ok sim.out)" = "$DEVICES" ] || fail "fota-sim: not $DEVICES devices OK"
ok
cuts=$(figure power_cuts sim.out)
in_boot=$(figure power_cuts_boot sim.out)
[ "$cuts" -ge 10 ] || fail "only $cuts power cuts"
[ "$in_boot" -ge 1 ] && [ "$in_boot" -lt "$cuts" ] ||
    fail "$cuts power cuts, $in_boot of them in the bootloader: not in both"
ok
check_slots v2.img $DEVICES
check_status 2.0.0 "confirmed 2.0.0" $DEVICES
stop_fotad TERM
check_store
done_checks "$DEVICES devices, $cuts power cuts ($in_boot in the bootloader, \
$((cuts - in_boot)) in the application), $(figure installs sim.out) installs, \
$(figure reverts sim.out) reverts, at most $(figure max_resent_per_power_cut sim.out) bytes \
fetched again after a power cut (window $(figure window_bytes sim.out)), $SIM_TIME s"
