#!/usr/bin/env bash
# The quick start (make demo): a signing key, two signed versions of a demo
# firmware, fotad with its SQLite store on 127.0.0.1, simulated STM32F103ZE
# devices provisioned on 1.0.0, 2.0.0 assigned to them, fota-sim updating
# them all at once over connections that drop now and then, fota status,
# and fotad stopped.
#
#   scripts/demo.sh [BIN_DIR]     BIN_DIR holds fota, fotad, fota-sim
#                                 (default build/bin)
# Environment: FOTA_DEMO_DEVICES (default 20), FOTA_DEMO_FLAKY (the chance
# of a cut per frame, default 0.02), FOTA_DEMO_RATE (bytes per second each
# device receives, default 8000: a GPRS link's 64 kbit/s; 0: no limit),
# FOTA_DEMO_KEEP=1 keeps the working directory (keys, images, data
# directory, device files) and says where.
# scripts/demo-boot.sh tells the bootloader's side, one reset at a time.
set -euo pipefail
bin=$(cd "${1:-build/bin}" && pwd)
devices=${FOTA_DEMO_DEVICES:-20}
flaky=${FOTA_DEMO_FLAKY:-0.02}
rate=${FOTA_DEMO_RATE:-8000}
work=$(mktemp -d "${TMPDIR:-/tmp}/fota-demo.XXXXXX")
fotad_pid=

stop_fotad() {
    if [ -n "$fotad_pid" ]; then
        kill -TERM "$fotad_pid" 2>/dev/null || true
        wait "$fotad_pid" 2>/dev/null || true
        fotad_pid=
    fi
}
cleanup() {
    stop_fotad
    if [ "${FOTA_DEMO_KEEP:-0}" = 1 ]; then
        echo "(kept in $work)"
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM
cd "$work"

fota() { "$bin/fota" "$@"; }
sim() { "$bin/fota-sim" "$@"; }
step() { printf '\n== %s\n' "$*"; }

step "1. a signing key (the private half stays with whoever signs releases)"
fota keygen -o key.pem
fota pubkey -k key.pem -o pub.pem

step "2. two versions of a demo firmware, signed"
sim mkfw -V 1.0.0 -s 20000 -o app-1.0.0.bin
sim mkfw -V 2.0.0 -s 30000 -o app-2.0.0.bin
fota sign -k key.pem -V 1.0.0 -c 1 app-1.0.0.bin -o app-1.0.0.img
fota sign -k key.pem -V 2.0.0 -c 2 app-2.0.0.bin -o app-2.0.0.img

step "3. the server: a data directory (SQLite store) and fotad on 127.0.0.1"
fota -d data init -k pub.pem
# Port 0: any free port; fotad prints the one it got.
"$bin/fotad" -d data -l 127.0.0.1:0 >fotad.out 2>fotad.log &
fotad_pid=$!
for _ in $(seq 100); do
    grep -q '^listening on ' fotad.out 2>/dev/null && break
    kill -0 "$fotad_pid" 2>/dev/null || { cat fotad.log >&2; exit 1; }
    sleep 0.1
done
addr=$(sed -n 's/^listening on //p' fotad.out)
[ -n "$addr" ] || { echo "fotad did not start" >&2; cat fotad.log >&2; exit 1; }
echo "fotad listening on $addr (log: fotad.log)"
fota -d data init --server "$addr" | grep "^server: "

step "4. $devices devices leave the factory with 1.0.0 (provisioned in the store)"
sim provision -d data --simdir devices -n "$devices" --image app-1.0.0.img -g demo
fota -d data image add app-2.0.0.img
fota -d data image list

step "5. 2.0.0 is assigned to their group"
fota -d data assign --group demo 2.0.0

step "6. the devices update: download, verify, reset, install, confirm, report"
echo "(links of $rate bytes/s; a connection is cut at a fraction $flaky of the frames:"
echo " each download resumes where it stopped)"
rc=0
sim run --simdir devices --flaky "$flaky" --rate "$rate" --timeout 120 || rc=$?

step "7. what the server recorded"
fota -d data status

step "8. fotad stops"
stop_fotad
tail -n 1 fotad.log
exit "$rc"
