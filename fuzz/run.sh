#!/bin/sh
# Builds the libFuzzer targets with clang and runs them (fuzz/README.md).
#
#   sh fuzz/run.sh [--smoke SECONDS | --long SECONDS] [--jobs N]
#                  [--build DIR] [TARGET ...]
#
# --smoke S  (default, S = 4) each target S seconds on a temporary copy of its
#            seed corpus; the repository's corpus is never written.
# --long S   each target S seconds on a corpus kept in DIR/corpus/TARGET
#            (seeded from the repository's, growing from run to run), logs in
#            DIR/logs; --jobs N runs N targets at once.
# --build    the clang build directory (default: build/fuzz-clang).
#
# Prints per target: executions, coverage (cov, ft), corpus size, crashes.
# Exits 1 on any crash, or when clang or libFuzzer is missing.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
mode=smoke
secs=4
jobs=1
build=$root/build/fuzz-clang
targets=""

usage() {
    sed -n '4,9p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

while [ $# -gt 0 ]; do
    case $1 in
    --smoke) mode=smoke; secs=${2:?}; shift 2 ;;
    --long) mode=long; secs=${2:?}; shift 2 ;;
    --jobs) jobs=${2:?}; shift 2 ;;
    --build) build=${2:?}; shift 2 ;;
    -h|--help) usage ;;
    -*) echo "run.sh: unknown option $1" >&2; usage ;;
    *) targets="$targets $1"; shift ;;
    esac
done
[ -n "$targets" ] || targets="frame image modem legacy firmware"

fail() {
    echo "run.sh: $*" >&2
    exit 1
}

# ---- the toolchain: a missing one fails, it is never skipped ----
command -v clang >/dev/null 2>&1 ||
    fail "clang not found (Debian: apt-get install clang libclang-rt-dev)"
probe=$(mktemp -d) || fail "mktemp failed"
trap 'rm -rf "$probe"' EXIT
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n);\n%s\n' \
    'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }' \
    >"$probe/p.c"
clang -fsanitize=fuzzer,address,undefined -o "$probe/p" "$probe/p.c" >"$probe/log" 2>&1 ||
    fail "clang cannot link libFuzzer (Debian: libclang-rt-dev): $(head -3 "$probe/log")"

# ---- the build ----
gen=""
command -v ninja >/dev/null 2>&1 && gen="-G Ninja"
if [ ! -f "$build/CMakeCache.txt" ]; then
    # shellcheck disable=SC2086
    CC=clang cmake -S "$root" -B "$build" $gen -DFOTA_FUZZ=ON \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$probe/cmake.log" 2>&1 ||
        { cat "$probe/cmake.log" >&2; fail "configuring $build failed"; }
fi
bt=""
for t in $targets; do
    [ -f "$here/fuzz_$t.c" ] || fail "no target '$t' (fuzz/fuzz_$t.c)"
    bt="$bt --target fuzz_$t"
done
# shellcheck disable=SC2086
cmake --build "$build" -j2 $bt >"$probe/build.log" 2>&1 ||
    { tail -40 "$probe/build.log" >&2; fail "building the fuzz targets failed"; }

# ---- the runs ----
# run TARGET CORPUS LOG: one libFuzzer run; its exit status.
run() {
    extra=""
    # The firmware readers explain every refusal on stderr.
    [ "$1" = firmware ] && extra="-close_fd_mask=2"
    mkdir -p "$artdir"
    # shellcheck disable=SC2086
    "$build/fuzz/fuzz_$1" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$artdir/$1-" $extra \
        "$2" >"$3" 2>&1
}

# report TARGET CORPUS LOG STATUS: one line of figures; 1 on a crash.
report() {
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$3" | tail -1)
    last=$(grep -E '^#[0-9]+' "$3" | tail -1)
    cov=$(echo "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
    ft=$(echo "$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
    files=$(find "$2" -type f | wc -l)
    crashes=$(find "$artdir" -name "$1-*" -type f 2>/dev/null | wc -l)
    printf '%-9s execs %s cov %s ft %s corpus %s files, crashes %s (exit %s)\n' \
        "$1" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$files" "$crashes" "$4"
    if [ "$4" -ne 0 ] || [ "$crashes" -ne 0 ] || [ -z "$execs" ]; then
        echo "  $1 failed: see $3; crashing inputs in $artdir" >&2
        grep -E 'ERROR|SUMMARY|Test unit written' "$3" | head -5 | sed 's/^/  /' >&2
        echo "  keep the input as a regression case in fuzz/corpus/$1/ once fixed" >&2
        return 1
    fi
    return 0
}

if [ "$mode" = smoke ]; then
    work=$probe
else
    work=$build
    mkdir -p "$work/logs"
fi
# Crashing inputs of this run, kept after it.
artdir=$build/artifacts/$(date +%Y%m%d-%H%M%S)-$$
status=0
echo "fuzzing ($mode, ${secs} s per target): $targets"
set -- $targets
while [ $# -gt 0 ]; do
    batch=""
    n=0
    while [ $# -gt 0 ] && [ "$n" -lt "$jobs" ]; do
        batch="$batch $1"
        n=$((n + 1))
        shift
    done
    for t in $batch; do
        if [ "$mode" = smoke ]; then
            corpus=$work/corpus-$t
            rm -rf "$corpus"
            mkdir -p "$corpus"
            log=$work/$t.log
        else
            corpus=$work/corpus/$t
            mkdir -p "$corpus"
            log=$work/logs/$t.log
        fi
        cp "$here/corpus/$t"/* "$corpus"/
        (run "$t" "$corpus" "$log"; echo $? >"$log.rc") &
    done
    wait
    for t in $batch; do
        if [ "$mode" = smoke ]; then
            corpus=$work/corpus-$t
            log=$work/$t.log
        else
            corpus=$work/corpus/$t
            log=$work/logs/$t.log
        fi
        report "$t" "$corpus" "$log" "$(cat "$log.rc")" || status=1
    done
done
if [ "$status" -ne 0 ] && [ "$mode" = smoke ]; then
    # The logs go away with the temporary directory: show the first failure.
    for f in "$work"/*.log; do
        [ -f "$f.rc" ] || continue
        [ "$(cat "$f.rc")" = 0 ] && continue
        echo "---- $f" >&2
        tail -40 "$f" >&2
        break
    done
fi
exit $status
