#!/bin/sh
# scripts/demo-boot.sh (the bootloader story) must keep working: run it and
# check what each reset did.
set -eu
bin=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$("$root/scripts/demo-boot.sh" "$bin" 2>&1) || { echo "$out"; echo "FAIL: demo exited non-zero"; exit 1; }
echo "$out"
fails=0
expect() {
    if ! printf '%s\n' "$out" | grep -q -- "$1"; then
        echo "FAIL: expected a line matching: $1"
        fails=$((fails + 1))
    fi
}
expect 'reset: booted -> running 1.0.0+0'
expect 'reset: installed (trial) 2.0.0+0: requested -> running 2.0.0+0'
expect 'reset: reverted 2.0.0+0: not confirmed -> running 1.0.0+0'
expect 'reset: booted -> running 2.0.0+0 (counter 2)'
expect 'reset: refused 1.0.0+0: security counter below the stored one -> running 2.0.0+0'
expect 'reset: refused 2.0.0+0: verification failed, digest mismatch -> running 2.0.0+0'
expect '^counter    2$'
[ "$fails" -eq 0 ] || exit 1
echo "demo: 7 expected resets seen"
