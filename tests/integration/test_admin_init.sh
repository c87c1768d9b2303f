#!/bin/sh
# fota init: creates the data directory, records the key and the server
# address, keeps an existing store; the other commands refuse a directory
# that was not initialised.
set -eu
. "$(dirname "$0")/tool_lib.sh"
. "$TESTS_DIR/admin_lib.sh"
need sqlite3
admin_keys

# Not initialised: every server command says so and names init.
for cmd in "device list" "image list" "status" "assign --device x 1.0.0"; do
    # shellcheck disable=SC2086
    expect 1 "$cmd before init" "$FOTA" -d data $cmd
    has "^fota: data: no such data directory; create it with fota -d data init" "$cmd: hint"
done
[ ! -e data ] || fail "a command other than init created the data directory"
ok
mkdir empty
expect 1 "a directory without a store" "$FOTA" -d empty status
has "empty: not a fota data directory \\(no fota.db\\)" "empty directory"
[ ! -e empty/fota.db ] || fail "status created a database"
ok

# Without -d: a usage error.
expect 2 "init without -d" "$FOTA" init
has "data directory is missing" "init without -d"
expect 2 "status without -d" "$FOTA" status
has "fota -d DATADIR status" "status without -d"

# init alone: the layout, settings reported missing.
expect 0 "init" "$FOTA" -d data init
has "^data: fota data directory \\(schema 1\\)" "init output"
has "^public key: not set" "no key yet"
has "^server: not set" "no server yet"
[ -f data/fota.db ] || fail "no data/fota.db"
[ -d data/images ] || fail "no data/images"
[ -d data/provision ] || fail "no data/provision"
ok
[ "$(mode_of data)" = 700 ] || fail "data directory mode $(mode_of data)"
[ "$(mode_of data/fota.db)" = 600 ] || fail "fota.db mode $(mode_of data/fota.db)"
[ "$(mode_of data/provision)" = 700 ] || fail "provision mode $(mode_of data/provision)"
ok
[ "$(sqlite3 data/fota.db 'PRAGMA journal_mode')" = wal ] || fail "not in WAL mode"
[ "$(sqlite3 data/fota.db 'PRAGMA user_version')" = 1 ] || fail "schema version"
ok

# Settings: the key (public or private file) and the address.
KEYID=$("$FOTA" keygen -o other.pem | sed -n 's/.*key id //p')
expect 0 "init -k --server" "$FOTA" -d data init -k pub.pem --server fota.example.com:9995
has "^public key: key id [0-9a-f]{16}$" "key id shown"
has "^server: fota.example.com:9995$" "server shown"
[ "$(sqlite3 data/fota.db "SELECT value FROM settings WHERE name = 'public_key'")" = "$PUBHEX" ] ||
    fail "stored public key differs from pub.pem"
ok
expect 0 "init -k with a private key" "$FOTA" -d data init -k other.pem
has "^public key: key id $KEYID$" "private key's public half"
has "^server: fota.example.com:9995$" "server kept"
expect 0 "init back to pub.pem" "$FOTA" -d data init -k pub.pem

# Bad settings change nothing.
expect 2 "bad server address" "$FOTA" -d data init --server nowhere
has "bad server address 'nowhere'" "bad server"
expect 2 "port 0" "$FOTA" -d data init --server host:0
expect 2 "port 70000" "$FOTA" -d data init --server host:70000
printf 'not a key\n' >junk.pem
expect 1 "bad key file" "$FOTA" -d data init -k junk.pem
has "junk.pem" "bad key names the file"
expect 1 "missing key file" "$FOTA" -d data init -k nothere.pem
has "nothere.pem" "missing key names the file"
expect 0 "init again" "$FOTA" -d data init
has "^server: fota.example.com:9995$" "server unchanged"
[ "$(sqlite3 data/fota.db "SELECT value FROM settings WHERE name = 'public_key'")" = "$PUBHEX" ] ||
    fail "public key changed by a failed init"
ok

# An existing store is kept by init.
"$FOTA" -d data device add keep-me >/dev/null
expect 0 "init on a store with devices" "$FOTA" -d data init --server other:1
expect 0 "device list" "$FOTA" -d data device list
has "^keep-me " "device kept"

# A file that is not a database.
mkdir bad
printf 'garbage garbage garbage garbage garbage garbage garbage garbage garbage' >bad/fota.db
expect 1 "not a database" "$FOTA" -d bad status
has "bad/fota.db: not a SQLite database" "not a database"
# A store from a newer fota.
"$FOTA" -d newer init >/dev/null
sqlite3 newer/fota.db 'PRAGMA user_version = 7'
expect 1 "newer schema" "$FOTA" -d newer status
has "schema version 7 is newer than this program's \\(1\\)" "newer schema"
done_checks
