#!/bin/sh
# fota assign: by device and by group, by version, build or digest; the
# errors for unknown devices and versions and for ambiguous versions.
set -eu
. "$(dirname "$0")/tool_lib.sh"
. "$TESTS_DIR/admin_lib.sh"
need python3
admin_keys
"$FOTA" -d data init -k pub.pem --server 127.0.0.1:9995 >/dev/null
signed v2 2.0.0
signed v3a 3.0.0+1
signed v3b 3.0.0+2
"$FOTA" -d data image add v2.img v3a.img v3b.img >/dev/null
for d in a1 a2; do "$FOTA" -d data device add $d -g alpha >/dev/null; done
"$FOTA" -d data device add b1 -g beta >/dev/null
"$FOTA" -d data device add solo >/dev/null
D2=$(digest_of v2.img)
D3A=$(digest_of v3a.img)

# assigned ID: the "assigned" field of device ID in status --json.
assigned() {
    run "$FOTA" -d data status --json
    [ "$RC" -eq 0 ] || fail "status --json: exit $RC: $OUT"
    printf '%s' "$OUT" | python3 -c '
import json, sys
for x in json.load(sys.stdin):
    if x["id"] == sys.argv[1]:
        print("%s%s" % (x["assigned"] or "-", " (g)" if x["assigned_by_group"] else ""))
' "$1"
}

check() {
    got=$(assigned "$1")
    [ "$got" = "$2" ] || fail "device $1: assigned '$got', expected '$2'"
    ok
}

expect 0 "assign a device" "$FOTA" -d data assign --device solo 2.0.0
has "^device solo: assigned 2.0.0 \\(digest $(printf %.16s "$D2")\\)$" "device output"
check solo 2.0.0
check a1 -

expect 0 "assign a group" "$FOTA" -d data assign --group alpha 3.0.0+1
has "^group alpha: assigned 3.0.0\\+1 \\(digest $(printf %.16s "$D3A")\\) to 2 devices$" "group output"
check a1 "3.0.0+1 (g)"
check a2 "3.0.0+1 (g)"
check b1 -
check solo 2.0.0

# A device's own assignment overrides its group's; a later group
# assignment replaces it again; 'none' returns to the group's.
expect 0 "override a1" "$FOTA" -d data assign -D a1 2.0.0
check a1 2.0.0
check a2 "3.0.0+1 (g)"
expect 0 "clear a1" "$FOTA" -d data assign --device a1 none
check a1 "3.0.0+1 (g)"
expect 0 "override a1 again" "$FOTA" -d data assign --device a1 2.0.0
expect 0 "group again" "$FOTA" -d data assign -g alpha 3.0.0+2
check a1 "3.0.0+2 (g)"
# A device added to the group later follows it.
"$FOTA" -d data device add a3 -g alpha >/dev/null
check a3 "3.0.0+2 (g)"
# A group without devices yet.
expect 0 "empty group" "$FOTA" -d data assign --group gamma 2.0.0
has "to 0 devices" "empty group"
"$FOTA" -d data device add c1 -g gamma >/dev/null
check c1 "2.0.0 (g)"

# By digest (a prefix of 8 or more hex digits, or all of it).
expect 0 "by digest prefix" "$FOTA" -d data assign --device b1 "$(printf %.12s "$D3A")"
check b1 3.0.0+1
expect 0 "by full digest" "$FOTA" -d data assign --device b1 "$D2"
check b1 2.0.0

# Errors.
expect 1 "unknown version" "$FOTA" -d data assign --device solo 9.9.9
has "^fota: no image with version 9.9.9$" "unknown version"
expect 1 "ambiguous version" "$FOTA" -d data assign --device solo 3.0.0
has "2 images match '3.0.0': 3.0.0\\+1 \\(digest [0-9a-f]{16}\\), 3.0.0\\+2 \\(digest [0-9a-f]{16}\\)" \
    "ambiguous lists both"
check solo 2.0.0
expect 1 "unknown device" "$FOTA" -d data assign --device ghost 2.0.0
has "^fota: no device 'ghost'$" "unknown device"
expect 1 "unknown digest" "$FOTA" -d data assign --device solo 0000000000000000
has "no image with digest 0000000000000000" "unknown digest"
expect 2 "bad version" "$FOTA" -d data assign --device solo latest
has "bad image version 'latest'" "bad version"
expect 2 "short digest" "$FOTA" -d data assign --device solo abcdef
expect 2 "both --device and --group" "$FOTA" -d data assign --device a1 --group alpha 2.0.0
has "give either --device ID or --group GROUP" "both"
expect 2 "neither" "$FOTA" -d data assign 2.0.0
has "give either --device ID or --group GROUP" "neither"
expect 2 "no version" "$FOTA" -d data assign --device a1
has "the image version is missing" "no version"
expect 2 "two versions" "$FOTA" -d data assign --device a1 2.0.0 3.0.0+1
expect 2 "bad group name" "$FOTA" -d data assign --group "a b" 2.0.0

# A planted (unverified) image can be assigned, with a warning.
signed v5 5.0.0
cp v5.img planted.img
putbyte planted.img 800 $(($(getbyte planted.img 800) ^ 1))
"$FOTA" -d data image add --no-verify planted.img >/dev/null 2>&1
expect 0 "assign planted" "$FOTA" -d data assign --device solo 5.0.0
has "warning: image 5.0.0 was stored without verification" "planted warning"
check solo 5.0.0
done_checks
