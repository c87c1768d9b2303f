#!/bin/sh
# fotad's command line and settings file: --help, --version, usage errors
# (exit 2) and start-up failures (exit 1) with a sentence naming the cause,
# DATADIR/fotad.conf read when present, --config naming another, flags
# winning over the file, paths in the file relative to the data directory,
# --log appending to a file.
set -eu
. "$(dirname "$0")/fotad_lib.sh"

head -c 3000 /dev/urandom >fw.bin
mkdir data
"$PROTO_CLIENT" setup data fw.bin . 1 >setup.txt

# expect RC WHAT PATTERN ARGS...: fotad ARGS exits RC, its output matches.
expect() {
    want=$1
    what=$2
    pat=$3
    shift 3
    RC=0
    OUT=$($T "$FOTAD" "$@" 2>&1) || RC=$?
    [ "$RC" = "$want" ] || fail "$what: exit $RC, expected $want: $OUT"
    printf '%s\n' "$OUT" | grep -Eq -- "$pat" || fail "$what: output /$pat/ missing: $OUT"
    ok
}

expect 0 "--help" "^usage: fotad -d DATADIR -l HOST:PORT" --help
expect 0 "--version" "^fotad [0-9]+\\.[0-9]+\\.[0-9]+$" --version
expect 2 "no data dir" "no data directory: -d DATADIR" -l 127.0.0.1:0
expect 2 "nothing to listen on" "nothing to listen on" -d data
expect 2 "bad address" "listen: '127.0.0.1': expected HOST:PORT" -d data -l 127.0.0.1
expect 2 "bad port" "port must be a number from 0 to 65535" -d data -l 127.0.0.1:70000
expect 2 "bad timeout" "hello_timeout: 'soon' is not a number of seconds" -d data \
    -l 127.0.0.1:0 --hello-timeout soon
expect 2 "bad max-conns" "max_conns: '0' is not a number" -d data -l 127.0.0.1:0 --max-conns 0
expect 2 "unknown option" "try 'fotad --help'" -d data -l 127.0.0.1:0 --frobnicate
expect 2 "legacy without image" "--legacy-listen needs --legacy-image" -d data \
    --legacy-listen 127.0.0.1:0
expect 1 "missing data dir" "nodata: no such data directory" -d nodata -l 127.0.0.1:0
expect 1 "missing legacy image" "legacy image: nope.bin: cannot open" -d data \
    --legacy-listen 127.0.0.1:0 --legacy-image nope.bin
printf 'listen = 127.0.0.1:0\nbogus = 1\n' >bad.conf
expect 1 "unknown key" "bad.conf:2: bogus: unknown setting" -d data --config bad.conf
expect 1 "missing --config" "none.conf: cannot open" -d data --config none.conf
# Address in use.
start_fotad busy -d data -l 127.0.0.1:0
expect 1 "address in use" "bind 127.0.0.1:$PORT: Address already in use" -d data \
    -l 127.0.0.1:$PORT
stop_fotad

# DATADIR/fotad.conf, with a legacy image relative to DATADIR.
cp fw.bin data/legacy.bin
cat >data/fotad.conf <<CONF
# fotad settings
listen = 127.0.0.1:0
hello_timeout = 0.5
  log_level = debug
legacy_listen=127.0.0.1:0
legacy_image = legacy.bin
CONF
start_fotad c1 -d data --log fotad.log
[ -n "$PORT" ] && [ -n "$LEGACY_PORT" ] || fail "listeners from fotad.conf"
ok
logged "legacy image data/legacy.bin: 3000 bytes" c1.log "legacy_image relative to DATADIR"
$T "$PROTO_CLIENT" run -p "$PORT" --timeout 5 silent >s1.txt || fail "silent client"
grep -q "^ERROR TIMEOUT: no HELLO within 500 ms$" s1.txt || fail "hello_timeout from the file"
ok
$T "$LEGACY_CLIENT" -p "$LEGACY_PORT" -o got.bin --timeout 20 >l.txt || fail "legacy client"
cmp -s got.bin fw.bin || fail "legacy bytes"
ok
logged "debug .*connected, challenge sent" c1.log "log_level from the file"
stop_fotad
logged "refused \\(TIMEOUT" fotad.log "--log file written"
logged "stopped$" fotad.log "--log file complete"

# Flags win over the file.
start_fotad c2 -d data --hello-timeout 0.7 --log-level info
$T "$PROTO_CLIENT" run -p "$PORT" --timeout 5 silent >s2.txt || fail "silent client"
grep -q "^ERROR TIMEOUT: no HELLO within 700 ms$" s2.txt || fail "flag over file: $(cat s2.txt)"
ok
if grep -q " debug " c2.log; then fail "--log-level info did not win"; fi
ok
stop_fotad

# --config names another file; DATADIR/fotad.conf is then not read.
printf 'listen = 127.0.0.1:0\nidle_timeout = 30\nmax_conns = 50\n' >other.conf
start_fotad c3 -d data --config other.conf
[ -z "$LEGACY_PORT" ] || fail "DATADIR/fotad.conf read despite --config"
ok
logged "max_conns 50, hello 10000 ms, idle 30000 ms" c3.log "settings from --config"
stop_fotad
[ "$STATUS" = 0 ] || fail "fotad exited $STATUS"
ok
done_checks
