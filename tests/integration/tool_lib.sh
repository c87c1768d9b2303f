# Helpers for the test_tool_*.sh scripts, sourced after `set -eu`.
# $1 is the directory holding the fota binary. Each script works in its own
# temporary directory, removed on exit.

. "$(dirname "$0")/common.sh"
need_args 1 BIN_DIR $#
FOTA=$(cd "$1" && pwd)/fota
if [ ! -x "$FOTA" ]; then
    echo "FAIL: no fota binary in $1" >&2
    exit 1
fi
TESTS_DIR=$(cd "$(dirname "$0")" && pwd)
make_work fota-tool-test

# run CMD...: runs CMD, keeping its exit code in RC and stdout+stderr in OUT.
run() {
    RC=0
    OUT=$("$@" 2>&1) || RC=$?
}

# expect RC WHAT CMD...: runs CMD and fails unless it exits with RC.
expect() {
    want=$1
    what=$2
    shift 2
    run "$@"
    if [ "$RC" -ne "$want" ]; then
        printf '%s\n' "$OUT" >&2
        fail "$what: exit $RC, expected $want"
    fi
    ok
}

# has PATTERN WHAT: fails unless the last output matches the extended regex.
has() {
    if ! printf '%s\n' "$OUT" | grep -Eq -- "$1"; then
        printf '%s\n' "$OUT" >&2
        fail "$2: output does not match /$1/"
    fi
    ok
}

# hasnt PATTERN WHAT: fails if the last output matches.
hasnt() {
    if printf '%s\n' "$OUT" | grep -Eq -- "$1"; then
        printf '%s\n' "$OUT" >&2
        fail "$2: output matches /$1/"
    fi
    ok
}

# same FILE1 FILE2 WHAT
same() {
    cmp -s "$1" "$2" || fail "$3: $1 and $2 differ"
    ok
}

# hexof FILE [OFFSET [COUNT]]: the bytes as one lower-case hex string.
hexof() {
    if [ $# -ge 3 ]; then
        od -An -v -tx1 -j "$2" -N "$3" "$1" | tr -d ' \n'
    elif [ $# -ge 2 ]; then
        od -An -v -tx1 -j "$2" "$1" | tr -d ' \n'
    else
        od -An -v -tx1 "$1" | tr -d ' \n'
    fi
}

# u16 FILE OFFSET, u32 FILE OFFSET: little-endian integers.
u16() {
    set -- $(od -An -v -tu1 -j "$2" -N 2 "$1")
    echo $(($1 + 256 * $2))
}
u32() {
    set -- $(od -An -v -tu1 -j "$2" -N 4 "$1")
    echo $(($1 + 256 * $2 + 65536 * $3 + 16777216 * $4))
}

# size FILE: bytes.
size() {
    wc -c <"$1" | tr -d ' '
}

# putbyte FILE OFFSET VALUE: overwrites one byte in place.
putbyte() {
    printf "\\$(printf '%03o' "$3")" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

# getbyte FILE OFFSET: one byte as a decimal number.
getbyte() {
    od -An -v -tu1 -j "$2" -N 1 "$1" | tr -d ' '
}

# payload random bytes into FILE: random firmware of the given size.
random_file() {
    head -c "$2" /dev/urandom >"$1"
}

# inspect_field IMAGE "header size": the number after the label in
# `fota inspect` output.
inspect_field() {
    "$FOTA" inspect "$1" | sed -n "s/^$2: *\\([0-9][0-9]*\\).*/\\1/p"
}
