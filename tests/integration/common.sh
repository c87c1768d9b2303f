# Pieces shared by the integration-test helper libraries (tool_lib.sh,
# fotad_lib.sh, e2e_lib.sh, and through tool_lib.sh admin_lib.sh) and by
# bench/run.sh. Sourced; it only defines functions and defaults, the caller
# decides what to run.
#
# Settings, each with a default, read when the function runs:
#   FAIL_PREFIX  printed before "FAIL: " by fail ("")
#   FAIL_LOGS    which files of $WORK fail shows, by extension ("": none)
#   FAIL_TAIL    how many of their last lines (40)
#   CHECKS_SEP   between "N checks passed" and done_checks' note (", ")

# need_args COUNT USAGE ARGC: exits 2 with a usage line unless the script
# got at least COUNT arguments (ARGC: its $#).
need_args() {
    if [ "$3" -lt "$1" ]; then
        echo "usage: $0 $2" >&2
        exit 2
    fi
}

# need_exec FILE...: fails unless every FILE is an executable.
need_exec() {
    for f in "$@"; do
        [ -x "$f" ] || { echo "FAIL: no $f" >&2; exit 1; }
    done
}

# cleanup: kills every process listed in PIDS and removes $WORK.
cleanup() {
    for p in $PIDS; do
        kill -9 "$p" 2>/dev/null || true
    done
    rm -rf "$WORK"
}

# make_work PREFIX: a temporary directory WORK named after PREFIX, removed
# on exit (with every process in PIDS killed); moves into it and starts the
# CHECKS count.
make_work() {
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
    PIDS=""
    trap cleanup EXIT
    trap 'exit 1' HUP INT TERM
    cd "$WORK"
    CHECKS=0
}

# bench_work PREFIX: make_work for the benchmarks, without the checks count:
# on exit every process in PIDS gets SIGTERM and is waited for (fotad stores
# its state, linkemu prints its last connections), then $WORK and
# $EXTRA_WORK (a second directory, if set) are removed, or kept and named
# when KEEP is 1.
bench_work() {
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
    PIDS=""
    trap bench_cleanup EXIT
    trap 'exit 1' HUP INT TERM
    cd "$WORK"
}

bench_cleanup() {
    for p in $PIDS; do
        kill "$p" 2>/dev/null || true
    done
    for p in $PIDS; do
        wait "$p" 2>/dev/null || true
    done
    if [ "${KEEP:-0}" = 1 ]; then
        echo "$(basename "$0"): files kept in $WORK${EXTRA_WORK:+ and $EXTRA_WORK}"
    else
        rm -rf "$WORK" ${EXTRA_WORK:+"$EXTRA_WORK"}
    fi
}

# asan_exitcode: in sanitizer builds, a leak or error is a failure with its
# own exit code.
asan_exitcode() {
    export ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}exitcode=66"
}

# fail MESSAGE: prints it, and the last lines of the files in FAIL_LOGS,
# then exits 1.
fail() {
    echo "${FAIL_PREFIX:-}FAIL: $*" >&2
    for ext in ${FAIL_LOGS:-}; do
        for f in "$WORK"/*."$ext"; do
            [ -f "$f" ] || continue
            echo "---- $(basename "$f") (last ${FAIL_TAIL:-40} lines)" >&2
            tail -n "${FAIL_TAIL:-40}" "$f" >&2
        done
    done
    exit 1
}

ok() {
    CHECKS=$((CHECKS + 1))
}

# Fails when a program the test needs is missing: scripts/install-deps.sh
# installs every one of them, so a missing one is a broken setup, not a skip.
need() {
    for prog in "$@"; do
        if ! command -v "$prog" >/dev/null 2>&1; then
            echo "FAIL: $prog is not installed (see scripts/debian-packages.txt)"
            exit 1
        fi
    done
}

# wait_for FILE PATTERN PID TENTHS GONE LATE: waits until FILE has a line
# matching PATTERN; fails with GONE if process PID exits first, with LATE
# after TENTHS tenths of a second.
wait_for() {
    n=0
    while ! grep -q "$2" "$1" 2>/dev/null; do
        kill -0 "$3" 2>/dev/null || fail "$5"
        n=$((n + 1))
        [ $n -lt "$4" ] || fail "$6"
        sleep 0.1
    done
}

# launch_fotad NAME FILE PATTERN WHAT ARGS...: starts $FOTAD ARGS... in the
# background (stdout in NAME.out, log in NAME.log) and waits, at most 20 s,
# until FILE has a line matching PATTERN; WHAT names that step in the error
# ("start", "listen"). Sets FOTAD_PID, and PORT / LEGACY_PORT from its
# "listening on" lines.
launch_fotad() {
    lf_name=$1
    lf_file=$2
    lf_pattern=$3
    lf_what=$4
    shift 4
    "$FOTAD" "$@" >"$lf_name.out" 2>"$lf_name.log" &
    FOTAD_PID=$!
    PIDS="$PIDS $FOTAD_PID"
    wait_for "$lf_file" "$lf_pattern" "$FOTAD_PID" 200 "fotad $lf_name exited at start" \
        "fotad $lf_name did not $lf_what within 20 s"
    PORT=$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$lf_name.out")
    LEGACY_PORT=$(sed -n 's/^legacy listening on .*:\([0-9][0-9]*\)$/\1/p' "$lf_name.out")
}

# stop_fotad [SIGNAL]: signals fotad (TERM by default) and waits for it to
# exit, at most 20 s. Leaves its exit status in STATUS.
stop_fotad() {
    kill -"${1:-TERM}" "$FOTAD_PID"
    n=0
    while kill -0 "$FOTAD_PID" 2>/dev/null; do
        n=$((n + 1))
        [ $n -lt 200 ] || fail "fotad did not exit within 20 s of SIG${1:-TERM}"
        sleep 0.1
    done
    STATUS=0
    wait "$FOTAD_PID" 2>/dev/null || STATUS=$?
}

# figure NAME FILE: the value of NAME= on fota-sim's "figures:" line.
figure() {
    sed -n "s/^figures: .* $1=\\([0-9.]*\\).*/\\1/p" "$2" | tail -n 1
}

done_checks() {
    echo "$(basename "$0" .sh): $CHECKS checks passed${1:+${CHECKS_SEP:-, }$1}"
}
