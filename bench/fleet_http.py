#!/usr/bin/env python3
"""The reference clients of bench/fleet.sh: N clients download one file over
HTTP/1.1 from 127.0.0.1:PORT at once, each on a connection of its own
(Connection: close), as N devices each download the image once.

    fleet_http.py PORT PATH N SIZE

Prints `figures: what=http clients=N ok=K bytes=B seconds=S` (B: body bytes
received) and exits 0 when every client got SIZE body bytes after a 200, else 1.
"""
import asyncio
import sys
import time


async def fetch(port, path, size):
    """One client: the body's length when the answer is a 200 with SIZE
    bytes, else -1."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return -1
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Connection: close\r\n\r\n".encode())
        head = await reader.readuntil(b"\r\n\r\n")
        body = 0
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                break
            body += len(chunk)
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        return -1
    finally:
        writer.close()
    if not head.startswith(b"HTTP/1.1 200 ") or body != size:
        return -1
    return body


async def main(port, path, n, size):
    t0 = time.monotonic()
    got = await asyncio.gather(*(fetch(port, path, size) for _ in range(n)))
    seconds = time.monotonic() - t0
    ok = sum(1 for b in got if b == size)
    total = sum(b for b in got if b > 0)
    print(f"figures: what=http clients={n} ok={ok} bytes={total} seconds={seconds:.2f}")
    return 0 if ok == n else 1


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.stderr.write(__doc__)
        sys.exit(2)
    sys.exit(asyncio.run(main(int(sys.argv[1]), sys.argv[2], int(sys.argv[3]),
                              int(sys.argv[4]))))
