#!/usr/bin/env python3
"""Hostile and broken clients for tests/hostile, on raw sockets (standard library only).

    attack.py PORT ATTACK [options]

Each attack prints one line per finding and a last line `attack: key=value ...` that the
case script reads. Every loop is bounded in count and time; the only address is 127.0.0.1.
"""
import argparse
import base64
import json
import os
import socket
import struct
import sys
import threading
import time

HOST = "127.0.0.1"


class WS:
    """A minimal WebSocket client (RFC 6455): enough to say what a browser says, and what
    a browser never would."""

    def __init__(self, port, path="/ws", timeout=5.0, headers=()):
        self.sock = socket.create_connection((HOST, port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        extra = "".join(f"{h}\r\n" for h in headers)
        self.sock.sendall(
            (f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nUpgrade: websocket\r\n"
             f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
             f"Sec-WebSocket-Version: 13\r\n{extra}\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("closed during the handshake")
            head += chunk
        status, _, rest = head.partition(b"\r\n\r\n")
        if b" 101 " not in status.split(b"\r\n")[0]:
            raise ConnectionError(status.split(b"\r\n")[0].decode(errors="replace"))
        self.buf = rest
        self.closed = False
        self.close_reason = None

    def send_frame(self, opcode, payload, fin=True):
        head = bytes([(0x80 if fin else 0) | opcode])
        n = len(payload)
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + body)

    def send_json(self, obj):
        self.send_frame(1, json.dumps(obj).encode())

    def send_binary(self, data):
        self.send_frame(2, data)

    def _need(self, n, deadline):
        while len(self.buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError()
            self.sock.settimeout(left)
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk

    def recv(self, timeout=5.0):
        """(opcode, payload) of the next whole frame; pings are answered."""
        deadline = time.monotonic() + timeout
        while True:
            self._need(2, deadline)
            b0, b1 = self.buf[0], self.buf[1]
            n, off = b1 & 0x7F, 2
            if n == 126:
                self._need(4, deadline)
                n, off = struct.unpack(">H", self.buf[2:4])[0], 4
            elif n == 127:
                self._need(10, deadline)
                n, off = struct.unpack(">Q", self.buf[2:10])[0], 10
            self._need(off + n, deadline)
            payload, self.buf = self.buf[off:off + n], self.buf[off + n:]
            op = b0 & 0x0F
            if op == 9:
                self.send_frame(10, payload)
                continue
            if op == 8:
                self.closed = True
                self.close_reason = payload[2:].decode(errors="replace")
            return op, payload

    def recv_json(self, timeout=5.0, want=None):
        """The next JSON message (of type `want`, skipping others); None on close."""
        deadline = time.monotonic() + timeout
        while True:
            op, payload = self.recv(max(0.01, deadline - time.monotonic()))
            if op == 8:
                return None
            if op == 1:
                msg = json.loads(payload)
                if want is None or msg.get("type") == want:
                    return msg

    def wait_closed(self, timeout=5.0):
        """True once the server has closed the connection (a close frame or EOF)."""
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                op, _ = self.recv(deadline - time.monotonic())
                if op == 8:
                    return True
        except (ConnectionError, OSError):
            return True
        except TimeoutError:
            return False
        return False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def report(**kv):
    print("attack: " + " ".join(f"{k}={v}" for k, v in kv.items()), flush=True)


def attack_flood(a):
    """Messages far faster than any client sends: the connection is cut with an error."""
    ws = WS(a.port)
    ws.send_json({"type": "hello", "subject": "flooder", "token": None, "params": {}})
    sent = 0
    try:
        for _ in range(a.count):
            ws.send_json({"type": "visibility", "visible": True})
            sent += 1
    except OSError:
        pass
    got_error = False
    try:
        while True:
            msg = ws.recv_json(timeout=3.0)
            if msg is None:
                break
            if msg.get("type") == "error":
                got_error = True
    except (ConnectionError, OSError, TimeoutError):
        pass
    report(sent=sent, error=int(got_error), closed=int(ws.closed or True))


def attack_hello(a):
    """A newcomer's hello (a fresh PROLIFIC_PID): prints the server's first reply, which is
    a welcome, or an error with its code and message (then the connection must close)."""
    ws = WS(a.port)
    subject = a.subject or f"newcomer-{os.getpid()}-{int(time.time() * 1000) % 100000}"
    ws.send_json({"type": "hello", "subject": None, "token": None,
                  "params": {"PROLIFIC_PID": subject}})
    msg = ws.recv_json(timeout=5.0)
    print(json.dumps(msg), flush=True)
    kind = msg.get("type") if msg else "none"
    closed = ws.wait_closed(timeout=3.0) if kind == "error" else False
    ws.close()
    report(type=kind, code=(msg or {}).get("code", "-"), closed=int(closed), subject=subject)


class Pipe(threading.Thread):
    """One direction of a relayed connection. From the server it also reads the WebSocket
    frames (unmasked) as they pass, to note who was welcomed and what end scene they got."""

    def __init__(self, src, dst, conn, watch):
        super().__init__(daemon=True)
        self.src, self.dst, self.conn, self.watch = src, dst, conn, watch
        self.buf, self.head_done, self.partial = b"", False, b""

    def run(self):
        try:
            while True:
                data = self.src.recv(65536)
                if not data:
                    break
                self.dst.sendall(data)
                if self.watch:
                    self.parse(data)
        except OSError:
            pass
        for s in (self.src, self.dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def parse(self, data):
        self.buf += data
        if not self.head_done:
            head, sep, rest = self.buf.partition(b"\r\n\r\n")
            if not sep:
                return
            self.head_done, self.buf = True, rest
        while len(self.buf) >= 2:
            b0, n, off = self.buf[0], self.buf[1] & 0x7F, 2
            if n == 126:
                if len(self.buf) < 4:
                    return
                n, off = struct.unpack(">H", self.buf[2:4])[0], 4
            elif n == 127:
                if len(self.buf) < 10:
                    return
                n, off = struct.unpack(">Q", self.buf[2:10])[0], 10
            if len(self.buf) < off + n:
                return
            payload, self.buf = self.buf[off:off + n], self.buf[off + n:]
            op = b0 & 0x0F
            if op in (0, 1):
                self.partial += payload
                if b0 & 0x80:
                    self.conn.message(self.partial)
                    self.partial = b""


class Relayed:
    """What the relay learned about one connection."""
    lock = threading.Lock()
    log = None

    def __init__(self):
        self.subject = None

    def message(self, payload):
        try:
            msg = json.loads(payload)
        except ValueError:
            return
        if msg.get("type") == "welcome":
            self.subject = msg.get("subject")
        elif msg.get("type") == "scene" and msg.get("kind") == "end":
            with Relayed.lock:
                Relayed.log.write(f"seen {self.subject} {msg.get('outcome')} {msg.get('code')}\n")
                Relayed.log.flush()


def attack_relay(a):
    """Not an attack: a transparent relay from a port of its own (written to --port-file)
    to PORT, so that clients keep one address while the server behind it is killed and
    restarted. Every end scene the server sends is noted in --log as `seen SUBJECT OUTCOME
    CODE`: what participants were shown. Runs until it is killed."""
    Relayed.log = open(a.log, "a")
    lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lst.bind((HOST, 0))
    lst.listen(512)
    with open(a.port_file + ".tmp", "w") as f:
        f.write(str(lst.getsockname()[1]))
    os.rename(a.port_file + ".tmp", a.port_file)
    while True:
        client, _ = lst.accept()
        try:
            server = socket.create_connection((HOST, a.port), timeout=2.0)
            server.settimeout(None)
        except OSError:
            client.close()  # the server is down: as if it had refused the connection
            continue
        conn = Relayed()
        Pipe(client, server, conn, False).start()
        Pipe(server, client, conn, True).start()


ATTACKS = {"flood": attack_flood, "hello": attack_hello, "relay": attack_relay}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("port", type=int)
    p.add_argument("attack", choices=sorted(ATTACKS))
    p.add_argument("--count", type=int, default=2000)
    p.add_argument("--subject", default=None, help="hello: the PROLIFIC_PID to send")
    p.add_argument("--port-file", default=None, help="relay: where to write its own port")
    p.add_argument("--log", default=None, help="relay: where to note the end scenes seen")
    a = p.parse_args()
    ATTACKS[a.attack](a)


if __name__ == "__main__":
    sys.exit(main())
