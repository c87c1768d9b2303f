#!/bin/sh
# The administration commands' help and usage errors: exit 2, the usage on
# standard error and nothing on standard output; a command that fails
# exits 1 with one sentence.
set -eu
. "$(dirname "$0")/tool_lib.sh"
. "$TESTS_DIR/admin_lib.sh"

expect 0 "fota --help" "$FOTA" --help
for cmd in init device image assign status; do
    has "^  $cmd " "--help lists $cmd"
done
for cmd in init device image assign status; do
    expect 0 "fota help $cmd" "$FOTA" help "$cmd"
    has "^usage: fota -d DATADIR $cmd" "help $cmd"
    expect 0 "fota $cmd --help" "$FOTA" -d data "$cmd" --help
    has "^usage: fota -d DATADIR $cmd" "$cmd --help"
done
[ ! -e data ] || fail "help created the data directory"
ok
expect 0 "device add --help" "$FOTA" device add --help
has "^usage: fota -d DATADIR device add ID" "device add --help"
expect 0 "image list -h" "$FOTA" image list -h
has "^usage: fota -d DATADIR image add" "image list -h"

# usage_error WHAT PATTERN CMD...: exit 2, PATTERN and the usage on stderr,
# nothing on stdout.
usage_error() {
    what=$1
    pattern=$2
    shift 2
    expect 2 "$what" "$@"
    has "$pattern" "$what"
    has "^usage: fota " "$what: usage shown"
    [ -z "$("$@" 2>/dev/null || true)" ] || fail "$what: output on stdout"
    ok
}

"$FOTA" -d data init >/dev/null
usage_error "init: extra argument" "unexpected argument 'x'" "$FOTA" -d data init x
usage_error "init: unknown option" "unknown option '--frob'" "$FOTA" -d data init --frob
usage_error "init: -k without a value" "needs a value" "$FOTA" -d data init -k
usage_error "device: nothing" "no device command given" "$FOTA" -d data device
usage_error "device list: argument" "unexpected argument" "$FOTA" -d data device list x
usage_error "device remove: nothing" "device id is missing" "$FOTA" -d data device remove
usage_error "device add: no -d" "data directory is missing" "$FOTA" device add x
usage_error "image: nothing" "no image command given" "$FOTA" -d data image
usage_error "image list: argument" "unexpected argument" "$FOTA" -d data image list x
usage_error "assign: nothing" "give either --device ID or --group GROUP" "$FOTA" -d data assign
usage_error "assign: no -d" "data directory is missing" "$FOTA" assign --device a 1.0.0
usage_error "status: argument" "unexpected argument 'x'" "$FOTA" -d data status x
usage_error "status: no -d" "data directory is missing" "$FOTA" status

# Failures: exit 1, "fota: " and a sentence, no usage text.
expect 1 "unknown device" "$FOTA" -d data assign --device nobody 1.0.0
has "^fota: " "failure prefix"
hasnt "^usage:" "no usage after a failure"
done_checks
