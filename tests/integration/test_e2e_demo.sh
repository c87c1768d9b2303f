#!/bin/sh
# The README's quick start (make demo runs scripts/demo.sh) must keep
# working: every device ends on 2.0.0, confirmed, and fotad stops.
set -eu
if [ $# -lt 1 ]; then
    echo "usage: $0 BIN_DIR" >&2
    exit 2
fi
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${TMPDIR:-/tmp}/fota-demo-test.$$
trap 'rm -f "$out"' EXIT
status=0
FOTA_DEMO_DEVICES=20 "$root/scripts/demo.sh" "$1" >"$out" 2>&1 || status=$?
fails=0
expect() {
    if ! grep -Eq -- "$1" "$out"; then
        echo "FAIL: expected a line matching: $1"
        fails=$((fails + 1))
    fi
}
expect '^provisioned 20 devices'
expect '^20 devices: 20 OK, 0 failed'
expect 'fotad: stopped'
confirmed=$(grep -Ec '^sim-00[0-9]+ +demo +2\.0\.0 +2\.0\.0 +100% +confirmed 2\.0\.0' "$out" || true)
if [ "$status" -ne 0 ] || [ "$fails" -ne 0 ] || [ "$confirmed" -ne 20 ]; then
    cat "$out"
    echo "FAIL: demo exited $status, $confirmed devices confirmed in fota status"
    exit 1
fi
echo "test_e2e_demo: the quick start updated 20 devices; $(grep '^connection cuts' "$out")"
