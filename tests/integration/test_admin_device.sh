#!/bin/sh
# fota device add / list / provision / remove: ids, groups, secrets and the
# provisioning file with its four fields.
set -eu
. "$(dirname "$0")/tool_lib.sh"
. "$TESTS_DIR/admin_lib.sh"
need python3 sqlite3
admin_keys
"$FOTA" -d data init >/dev/null

# Without the server address and key, no device is added.
expect 1 "add without settings" "$FOTA" -d data device add dev-1
has "no server address for the provisioning file" "missing server"
[ "$(sqlite3 data/fota.db 'SELECT count(*) FROM devices')" = 0 ] || fail "device kept"
ok
"$FOTA" -d data init --server 127.0.0.1:9995 >/dev/null
expect 1 "add without key" "$FOTA" -d data device add dev-1
has "no public key for the provisioning file" "missing key"
[ ! -e data/provision/dev-1.conf ] || fail "file written without a key"
ok
"$FOTA" -d data init -k pub.pem >/dev/null

# add: the default file, its fields and mode.
expect 0 "device add" "$FOTA" -d data device add dev-1 -g field
has "^device dev-1 added to group field; provisioning file data/provision/dev-1.conf$" "add output"
conf=data/provision/dev-1.conf
[ -f "$conf" ] || fail "no provisioning file"
[ "$(mode_of "$conf")" = 600 ] || fail "provisioning file mode $(mode_of "$conf")"
ok
[ "$(conf_value "$conf" id)" = dev-1 ] || fail "id field"
[ "$(conf_value "$conf" server)" = 127.0.0.1:9995 ] || fail "server field"
[ "$(conf_value "$conf" public_key)" = "$PUBHEX" ] || fail "public_key field"
conf_value "$conf" secret | grep -Eq '^[0-9a-f]{64}$' || fail "secret field: $(conf_value "$conf" secret)"
ok
SECRET1=$(conf_value "$conf" secret)
[ "$(sqlite3 data/fota.db "SELECT lower(hex(secret)) FROM devices WHERE id = 'dev-1'")" = "$SECRET1" ] ||
    fail "the file's secret is not the stored one"
[ "$SECRET1" != 0000000000000000000000000000000000000000000000000000000000000000 ] || fail "zero secret"
ok
grep -q '^# ' "$conf" || fail "no comment header"
ok

# Another device: another secret; -o and the overrides.
"$FOTA" keygen -o other.pem >/dev/null
"$FOTA" pubkey -k other.pem -o other.pub
OTHERHEX=$(sed '/-----/d' other.pub | base64 -d | tail -c 32 | od -An -v -tx1 | tr -d ' \n')
expect 0 "device add -o -k --server" "$FOTA" -d data device add dev-3 -o dev3.conf \
    -k other.pem --server example.org:443
has "provisioning file dev3.conf$" "-o named"
[ "$(conf_value dev3.conf server)" = example.org:443 ] || fail "--server override"
[ "$(conf_value dev3.conf public_key)" = "$OTHERHEX" ] || fail "-k override"
[ "$(conf_value dev3.conf secret)" != "$SECRET1" ] || fail "two devices, one secret"
[ ! -e data/provision/dev-3.conf ] || fail "default file written too"
ok
# The overrides were for that file only.
expect 0 "device add dev-4" "$FOTA" -d data device add dev-4
[ "$(conf_value data/provision/dev-4.conf server)" = 127.0.0.1:9995 ] || fail "server setting changed"
ok

# Refusals.
expect 1 "duplicate id" "$FOTA" -d data device add dev-1
has "^fota: device 'dev-1' already exists$" "duplicate"
[ "$(conf_value "$conf" secret)" = "$SECRET1" ] || fail "duplicate add rewrote the file"
ok
for bad in "with space" "a/b" "0123456789abcdef0123456789abcdef0" ""; do
    expect 2 "bad id '$bad'" "$FOTA" -d data device add "$bad"
    has "bad device id" "bad id '$bad'"
done
expect 2 "bad group" "$FOTA" -d data device add dev-9 -g "x y"
has "bad group name 'x y'" "bad group"
expect 2 "no id" "$FOTA" -d data device add
has "the device id is missing" "no id"
expect 2 "two ids" "$FOTA" -d data device add a b
expect 2 "bad --server" "$FOTA" -d data device add dev-9 --server nope
expect 2 "unknown subcommand" "$FOTA" -d data device frob
has "unknown device command 'frob'" "unknown subcommand"
expect 2 "no subcommand" "$FOTA" -d data device
# -o onto an existing file: refused unless --force, and no device is left.
printf 'keep\n' >taken.conf
expect 1 "-o existing" "$FOTA" -d data device add dev-5 -o taken.conf
has "taken.conf: already exists \\(use --force to replace it\\)" "existing -o"
[ "$(cat taken.conf)" = keep ] || fail "existing file replaced"
[ "$(sqlite3 data/fota.db "SELECT count(*) FROM devices WHERE id = 'dev-5'")" = 0 ] ||
    fail "device kept although its file was not written"
ok
expect 0 "-o existing --force" "$FOTA" -d data device add dev-5 -o taken.conf --force
[ "$(conf_value taken.conf id)" = dev-5 ] || fail "--force did not replace"
ok

# list, as a table and as JSON.
expect 0 "device list" "$FOTA" -d data device list
has "^ID +GROUP +ASSIGNED +RUNNING +LAST SEEN" "list header"
has "^dev-1 +field +- +- +never$" "dev-1 listed"
has "^dev-3 +- " "dev-3 listed"
[ "$(printf '%s\n' "$OUT" | grep -c '^dev-')" = 4 ] || fail "list has $(printf '%s\n' "$OUT" | grep -c '^dev-') devices"
ok
hasnt "$SECRET1" "list shows no secret"
expect 0 "device list --json" "$FOTA" -d data device list --json
json 'len(d) == 4 and [x["id"] for x in d] == ["dev-1", "dev-3", "dev-4", "dev-5"]'
json 'd[0]["group"] == "field" and d[1]["group"] is None'
json 'all(x["assigned"] is None and x["running"] is None and x["last_seen"] is None for x in d)'

# provision: the same secret again, anywhere.
expect 0 "device provision" "$FOTA" -d data device provision dev-1 -o again.conf
[ "$(conf_value again.conf secret)" = "$SECRET1" ] || fail "provision: another secret"
[ "$(mode_of again.conf)" = 600 ] || fail "provision: mode"
ok
expect 1 "provision unknown" "$FOTA" -d data device provision ghost
has "no device 'ghost'" "provision unknown"

# remove: the device and its default file.
expect 0 "device remove" "$FOTA" -d data device remove dev-4
[ ! -e data/provision/dev-4.conf ] || fail "provisioning file kept"
ok
expect 1 "remove again" "$FOTA" -d data device remove dev-4
has "no device 'dev-4'" "remove unknown"
expect 0 "id free again" "$FOTA" -d data device add dev-4
done_checks
