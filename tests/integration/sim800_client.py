#!/usr/bin/env python3
"""A scripted AT client for test_sim800_emu.sh: drives fota-sim800 through
its tty (LINK) against an echo server of its own on 127.0.0.1, and checks
every response line exactly.

    python3 sim800_client.py LINK SCENARIO

SCENARIO is one of dialogue, noise, fail-connects, pdp-loss, close-after,
boot, pace (the emulator must run with the flags the shell script gives
for it). Prints "SCENARIO: N checks, M noise URCs skipped" and exits 0, or
"FAIL: ..." and exits 1.

The echo server sends back what it receives; when the bytes it received end
in "BYE\\n" it closes the connection after echoing them.
"""

import os
import re
import select
import socket
import sys
import termios
import threading
import time
import tty

NOISE = (b"RING", b'+CMTI: "SM",1')
ASYNC = (b"+CIPRXGET: 1", b"CLOSED", b"+PDP: DEACT")
BOOT = (b"RDY", b"+CFUN: 1", b"+CPIN: READY", b"Call Ready", b"SMS Ready")


class Fail(Exception):
    pass


class EchoServer(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.conns = 0
        self.received = []  # bytes received, per connection
        self.ended = []     # per connection: how it ended

    def run(self):
        while True:
            c, _ = self.sock.accept()
            self.conns += 1
            self.received.append(b"")
            self.ended.append(None)
            threading.Thread(target=self.serve, args=(c, self.conns - 1),
                             daemon=True).start()

    def serve(self, c, i):
        while True:
            data = c.recv(65536)
            if not data:
                self.ended[i] = "peer"
                break
            self.received[i] += data
            c.sendall(data)
            if self.received[i].endswith(b"BYE\n"):
                self.ended[i] = "bye"
                break
        c.close()


class Modem:
    def __init__(self, path):
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
        tty.setraw(self.fd, termios.TCSANOW)  # no flush: keep the power-up URCs
        self.buf = b""
        self.noise = 0
        self.between = 0    # noise that came between two lines of a response
        self.urcs = []
        self.checks = 0

    def ok(self):
        self.checks += 1

    def fill(self, deadline):
        wait = deadline - time.monotonic()
        if wait <= 0:
            raise Fail("timed out waiting; unread: %r" % self.buf[:120])
        r, _, _ = select.select([self.fd], [], [], wait)
        if r:
            self.buf += os.read(self.fd, 65536)

    def write(self, data):
        while data:
            n = os.write(self.fd, data)
            data = data[n:]

    def raw(self, n, timeout=5.0):
        deadline = time.monotonic() + timeout
        while len(self.buf) < n:
            self.fill(deadline)
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def expect_raw(self, want, timeout=5.0):
        got = self.raw(len(want), timeout)
        if got != want:
            raise Fail("expected %r, got %r" % (want, got))
        self.ok()

    def line(self, timeout=5.0, until=None, prompt=False):
        """The next response line: noise is counted and skipped, the
        asynchronous URCs kept in self.urcs (returns None when `until`
        comes). With prompt, "> " counts as a line."""
        deadline = time.monotonic() + timeout
        while True:
            while self.buf.startswith(b"\r\n"):
                self.buf = self.buf[2:]
            if prompt and self.buf.startswith(b"> "):
                self.buf = self.buf[2:]
                return b"> "
            i = self.buf.find(b"\r\n")
            if i < 0:
                self.fill(deadline)
                continue
            text, self.buf = self.buf[:i], self.buf[i + 2:]
            if text in NOISE:
                self.noise += 1
            elif text in ASYNC:
                self.urcs.append(text)
                if text == until:
                    return None
            else:
                return text

    def expect(self, want, timeout=5.0, prompt=False):
        got = self.line(timeout, prompt=prompt)
        if isinstance(want, re.Pattern):
            if not want.fullmatch(got):
                raise Fail("expected /%s/, got %r" % (want.pattern, got))
        elif got != want:
            raise Fail("expected %r, got %r" % (want, got))
        self.ok()
        return got

    def cmd(self, command, *want, timeout=5.0):
        self.write(command + b"\r")
        if not want:
            return []
        got = [self.expect(want[0], timeout)]
        first = self.noise
        got += [self.expect(w, timeout) for w in want[1:]]
        self.between += self.noise - first
        return got

    def urc(self, text, timeout=5.0):
        """Waits for an asynchronous URC; any other line is a failure."""
        deadline = time.monotonic() + timeout
        while text not in self.urcs:
            got = self.line(deadline - time.monotonic(), until=text)
            if got is not None:
                raise Fail("waiting for %r, got %r" % (text, got))
        self.urcs.remove(text)
        self.ok()

    def no_urc(self, text):
        if text in self.urcs:
            raise Fail("unexpected %r" % text)
        self.ok()

    def quiet(self, seconds):
        """Nothing at all arrives for that long."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            r, _, _ = select.select([self.fd], [], [], deadline - time.monotonic())
            if r:
                raise Fail("unexpected output %r" % os.read(self.fd, 200))
        self.ok()

    def send(self, data, quick=False):
        self.cmd(b"AT+CIPSEND=%d" % len(data))
        self.expect(b"> ", prompt=True)
        self.write(data)
        self.expect(b"DATA ACCEPT:%d" % len(data) if quick else b"SEND OK")

    def rxget(self, n, got, left):
        """AT+CIPRXGET=2,n: checks the header, returns the bytes."""
        self.cmd(b"AT+CIPRXGET=2,%d" % n, b"+CIPRXGET: 2,%d,%d" % (got, left))
        data = self.raw(got)
        first = self.noise
        self.expect(b"OK")
        self.between += self.noise - first
        return data

    def wait_buffered(self, n, timeout=5.0):
        """Polls AT+CIPRXGET=4 until n bytes are buffered."""
        deadline = time.monotonic() + timeout
        while True:
            self.write(b"AT+CIPRXGET=4\r")
            got = int(self.line().split(b",")[1])
            self.expect(b"OK")
            if got == n:
                return
            if got > n or time.monotonic() > deadline:
                raise Fail("%d bytes buffered, expected %d" % (got, n))
            time.sleep(0.02)

    def boot(self):
        for u in BOOT:
            self.expect(u)
        # echo on at power-up: the command comes back, then the result
        self.write(b"AT\r")
        self.expect_raw(b"AT\r\r\nOK\r\n")
        self.write(b"ATE0\r")
        self.expect_raw(b"ATE0\r\r\nOK\r\n")

    def bring_up(self):
        self.cmd(b"AT+CIPSHUT", b"SHUT OK")
        self.cmd(b"AT+CIPMUX=0", b"OK")
        self.cmd(b"AT+CIPRXGET=1", b"OK")
        self.cmd(b'AT+CSTT="internet","",""', b"OK")
        self.cmd(b"AT+CIICR", b"OK")
        self.cmd(b"AT+CIFSR", re.compile(rb"10\.\d+\.\d+\.\d+"))

    def connect(self, port):
        self.cmd(b'AT+CIPSTART="TCP","127.0.0.1","%d"' % port, b"OK", b"CONNECT OK")

    def status(self, state):
        self.cmd(b"AT+CIPSTATUS", b"OK", b"STATE: " + state)


def online(m, srv, connect=True):
    """After the power-up URCs: echo off, bearer up, connected."""
    for u in BOOT:
        m.expect(u)
    m.cmd(b"ATE0", b"ATE0\r", b"OK")             # echoed, then off
    m.bring_up()
    if connect:
        m.connect(srv.port)


def server_saw(m, srv, conns):
    if srv.conns != conns:
        raise Fail("%d connections reached the server, expected %d" % (srv.conns, conns))
    m.ok()


def pattern(n, seed):
    return bytes((i * 7 + seed + (i >> 8)) & 0xFF for i in range(n))


def echo_round(m, srv, payload):
    """Sends payload in pieces of at most 1460, reads the echo back."""
    for i in range(0, len(payload), 1460):
        m.send(payload[i:i + 1460])
    m.urc(b"+CIPRXGET: 1")
    m.wait_buffered(len(payload))
    back = b""
    while len(back) < len(payload):
        want = min(1460, len(payload) - len(back))
        back += m.rxget(want, want, len(payload) - len(back) - want)
    if back != payload:
        raise Fail("echo differs from what was sent")
    m.ok()
    m.no_urc(b"+CIPRXGET: 1")  # once, when the buffer was empty


def dialogue(m, srv):
    m.boot()
    m.cmd(b"AT+CPIN?", b"+CPIN: READY", b"OK")
    m.cmd(b"AT+CSQ", b"+CSQ: 20,0", b"OK")
    m.cmd(b"AT+CREG?", b"+CREG: 0,1", b"OK")
    m.cmd(b"AT+CGATT?", b"+CGATT: 1", b"OK")
    m.cmd(b"at+csq", b"+CSQ: 20,0", b"OK")       # case does not matter
    m.write(b"AT\r\n")                             # CR LF is fine too
    m.expect(b"OK")
    m.cmd(b"AT+NOSUCH", b"ERROR")
    m.cmd(b"AT+CIPSHUT", b"SHUT OK")
    m.status(b"IP INITIAL")
    m.cmd(b"AT+CIPMUX=0", b"OK")
    m.cmd(b"AT+CIPRXGET=1", b"OK")
    m.cmd(b"AT+CIICR", b"ERROR")                   # before AT+CSTT
    m.cmd(b"AT+CIFSR", b"ERROR")                   # no context yet
    m.cmd(b'AT+CSTT="internet","",""', b"OK")
    m.status(b"IP START")
    m.cmd(b'AT+CSTT="other"', b"ERROR")           # only in IP INITIAL
    m.cmd(b'AT+CIPSTART="TCP","127.0.0.1","%d"' % srv.port, b"ERROR")
    m.cmd(b"AT+CIICR", b"OK")
    m.status(b"IP GPRSACT")
    m.cmd(b"AT+CIFSR", re.compile(rb"10\.\d+\.\d+\.\d+"))
    m.status(b"IP STATUS")
    m.cmd(b"AT+CIPSEND=5", b"ERROR")               # not connected
    m.connect(srv.port)
    m.cmd(b'AT+CIPSTART="TCP","127.0.0.1","%d"' % srv.port, b"ALREADY CONNECT")
    m.status(b"CONNECT OK")
    m.cmd(b"AT+CIPSEND=1461", b"ERROR")
    payload = pattern(2000, 1)
    echo_round(m, srv, payload)
    m.rxget(100, 0, 0)
    m.cmd(b"AT+CIPRXGET=4", b"+CIPRXGET: 4,0", b"OK")
    m.cmd(b"AT+CIPRXGET=0", b"ERROR")              # not while connected
    # the server closes: CLOSED, and what it sent before stays readable
    m.send(b"BYE\n")
    m.urc(b"+CIPRXGET: 1")
    m.urc(b"CLOSED")
    m.status(b"TCP CLOSED")
    if m.rxget(10, 4, 0) != b"BYE\n":
        raise Fail("the bytes before CLOSED were not kept")
    m.cmd(b"AT+CIPRXGET=2,10", b"ERROR")
    m.cmd(b"AT+CIPSEND=1", b"ERROR")
    m.cmd(b"AT+CIPCLOSE", b"ERROR")
    # a new connection after the end of one, closed by the modem
    m.connect(srv.port)
    m.cmd(b"AT+CIPCLOSE", b"CLOSE OK")
    m.status(b"IP CLOSE")
    m.connect(srv.port)
    m.cmd(b"AT+CIPCLOSE=1", b"CLOSE OK")
    # from IP INITIAL, AT+CIPSTART brings the context up itself
    m.cmd(b"AT+CIPSHUT", b"SHUT OK")
    m.connect(srv.port)
    m.status(b"CONNECT OK")
    m.cmd(b"AT+CIPSHUT", b"SHUT OK")
    # auto receive mode with the +IPD header, quick send
    m.cmd(b"AT+CIPRXGET=0", b"OK")
    m.cmd(b"AT+CIPHEAD=1", b"OK")
    m.cmd(b"AT+CIPQSEND=1", b"OK")
    m.connect(srv.port)
    m.send(b"hello", quick=True)
    m.expect_raw(b"\r\n+IPD,5:hello")
    m.cmd(b"AT+CIPSHUT", b"SHUT OK")
    if srv.received[0] != payload + b"BYE\n" or srv.ended[0] != "bye":
        raise Fail("the server did not get the first connection's bytes")
    m.ok()
    server_saw(m, srv, 5)


def noise(m, srv):
    online(m, srv)
    for i in range(6):
        echo_round(m, srv, pattern(1500, i))
        m.status(b"CONNECT OK")
        m.cmd(b"AT+CIPRXGET=4", b"+CIPRXGET: 4,0", b"OK")
    if m.noise < 5 or m.between == 0:
        raise Fail("%d noise URCs, %d inside responses" % (m.noise, m.between))
    m.ok()


def fail_connects(m, srv):
    online(m, srv, connect=False)
    start = b'AT+CIPSTART="TCP","127.0.0.1","%d"' % srv.port
    for _ in range(2):
        m.cmd(start, b"OK", b"STATE: TCP CLOSED", b"CONNECT FAIL")
        m.status(b"TCP CLOSED")
    m.connect(srv.port)
    echo_round(m, srv, pattern(300, 3))
    server_saw(m, srv, 1)


def pdp_loss(m, srv):
    """Run with --up 1000 --pdp-loss-after 100: the echo of a first 50 bytes
    is in; the context goes while a second send still crawls up."""
    online(m, srv)
    m.send(pattern(50, 4))
    m.urc(b"+CIPRXGET: 1")
    m.wait_buffered(50)
    m.cmd(b"AT+CIPSEND=1460")
    m.expect(b"> ", prompt=True)
    m.write(pattern(1460, 5))
    m.urc(b"+PDP: DEACT")
    m.expect(b"SEND FAIL")
    m.status(b"PDP DEACT")
    m.cmd(b"AT+CIPRXGET=4", b"ERROR")              # the unread bytes went too
    m.cmd(b"AT+CIPSEND=1", b"ERROR")
    m.cmd(b'AT+CIPSTART="TCP","127.0.0.1","%d"' % srv.port, b"ERROR")
    m.cmd(b"AT+CIFSR", b"ERROR")
    m.cmd(b"AT+CIPSHUT", b"SHUT OK")
    m.status(b"IP INITIAL")
    m.bring_up()
    m.connect(srv.port)
    echo_round(m, srv, pattern(300, 6))            # once only
    m.no_urc(b"+PDP: DEACT")


def close_after(m, srv):
    online(m, srv)
    payload = pattern(2000, 7)
    m.send(payload[:1460])
    m.send(payload[1460:])
    m.urc(b"+CIPRXGET: 1")
    m.urc(b"CLOSED")
    m.status(b"TCP CLOSED")
    m.cmd(b"AT+CIPRXGET=4", b"+CIPRXGET: 4,1500", b"OK")
    back = m.rxget(1460, 1460, 40) + m.rxget(1460, 40, 0)
    if back != payload[:1500]:
        raise Fail("the bytes before the close differ")
    m.ok()
    m.cmd(b"AT+CIPRXGET=2,10", b"ERROR")
    m.connect(srv.port)                            # once only
    echo_round(m, srv, pattern(2000, 8))
    m.no_urc(b"CLOSED")


def boot(m, srv):
    t0 = time.monotonic()
    m.write(b"AT\r")                               # lost: not booted yet
    m.quiet(0.3)
    for u in BOOT:
        m.expect(u, timeout=3.0)
    if time.monotonic() - t0 < 0.35:
        raise Fail("the power-up URCs came too early")
    m.ok()
    m.write(b"AT\r")
    m.expect_raw(b"AT\r\r\nOK\r\n")


def pace(m, srv):
    """9600 baud (960 bytes/s), 1000 bytes/s up and down, 200 ms each way:
    1000 bytes sent take 1.04 s on the UART, 1 s up the link and 0.2 s
    latency before the server has them, and SEND OK an ACK later."""
    online(m, srv)
    payload = pattern(1000, 8)
    t0 = time.monotonic()
    m.send(payload)
    took = time.monotonic() - t0
    if not 2.35 <= took < 6.0:
        raise Fail("1000 bytes: SEND OK after %.2f s, expected 2.35 .. 6" % took)
    m.ok()
    m.wait_buffered(1000, timeout=5.0)
    t0 = time.monotonic()
    back = m.rxget(1000, 1000, 0)
    took = time.monotonic() - t0
    if back != payload or not 1.0 <= took < 4.0:
        raise Fail("reading 1000 bytes took %.2f s, expected 1 .. 4" % took)
    m.ok()


SCENARIOS = {
    "dialogue": dialogue, "noise": noise, "fail-connects": fail_connects,
    "pdp-loss": pdp_loss, "close-after": close_after, "boot": boot,
    "pace": pace,
}


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in SCENARIOS:
        print("usage: sim800_client.py LINK " + "|".join(SCENARIOS), file=sys.stderr)
        return 2
    srv = EchoServer()
    srv.start()
    m = Modem(sys.argv[1])
    try:
        SCENARIOS[sys.argv[2]](m, srv)
    except Fail as e:
        print("FAIL: %s: %s (after %d checks)" % (sys.argv[2], e, m.checks))
        return 1
    print("%s: %d checks, %d noise URCs skipped (%d between the lines of a response)"
          % (sys.argv[2], m.checks, m.noise, m.between))
    return 0


if __name__ == "__main__":
    sys.exit(main())
