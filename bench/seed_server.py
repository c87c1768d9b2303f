#!/usr/bin/env python3
"""The original update server's algorithm, as a baseline for bench/update-time.

    seed_server.py --image FILE [--listen 127.0.0.1:PORT] [--scale F] [--sleep S]

Serves FILE to one device the way the first server did, step for step: it
sends the size line "0;<size>", then each "<n>;" + the n-th KiB (n from 1).
After every send it sleeps a fixed S seconds (1), then reads without
blocking; unless what it read is exactly "<n>", it sends the same message
again and sleeps again. --scale F divides the sleep, as linkemu --scale
divides the link's delays, so the two stay in proportion.

Prints "listening on HOST:PORT", then at the end one line:
    seed: done size=<bytes> chunks=<n> sends=<messages sent> seconds=<s>
and exits 0. The original never noticed a dropped connection (it kept
sending on the dead socket); here a dropped connection ends the run with
    seed: connection lost at message <n> after <s> s
and exit 1, since the device can never get the image from it.
"""
import argparse
import socket
import sys
import time

CHUNK = 1024


class Lost(Exception):
    pass


def exchange(conn, n, message, pause, counts):
    """Sends message until the answer read after the pause is exactly n."""
    want = str(n).encode()
    while True:
        try:
            conn.sendall(message)
        except OSError as e:
            raise Lost(str(e)) from e
        counts["sends"] += 1
        time.sleep(pause)
        try:
            answer = conn.recv(1024, socket.MSG_DONTWAIT)
        except (BlockingIOError, InterruptedError):
            continue  # nothing yet: send again
        except OSError as e:
            raise Lost(str(e)) from e
        if answer == b"":
            raise Lost("end of stream")
        if answer == want:
            return


def serve(conn, data, pause):
    counts = {"sends": 0}
    chunks = (len(data) + CHUNK - 1) // CHUNK
    n = 0
    t0 = time.monotonic()
    try:
        exchange(conn, 0, b"0;" + str(len(data)).encode(), pause, counts)
        for n in range(1, chunks + 1):
            part = data[(n - 1) * CHUNK:n * CHUNK]
            exchange(conn, n, str(n).encode() + b";" + part, pause, counts)
    except Lost as e:
        print("seed: connection lost at message %d after %.3f s (%s)"
              % (n, time.monotonic() - t0, e), flush=True)
        return 1
    print("seed: done size=%d chunks=%d sends=%d seconds=%.3f"
          % (len(data), chunks, counts["sends"], time.monotonic() - t0), flush=True)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--image", required=True)
    ap.add_argument("--listen", default="127.0.0.1:0")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--sleep", type=float, default=1.0)
    o = ap.parse_args()
    if o.scale <= 0 or o.sleep < 0:
        ap.error("--scale must be above 0, --sleep at least 0")
    host, port = o.listen.rsplit(":", 1)
    with open(o.image, "rb") as f:
        data = f.read()
    sk = socket.socket()
    sk.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sk.bind((host, int(port)))
    sk.listen(5)
    print("listening on %s:%d" % sk.getsockname(), flush=True)
    conn, _ = sk.accept()
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    rc = serve(conn, data, o.sleep / o.scale)
    conn.close()
    sk.close()
    return rc


if __name__ == "__main__":
    sys.exit(main())
