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
import selectors
import socket
import struct
import sys
import threading
import time

HOST = "127.0.0.1"


class WS:
    """A minimal WebSocket client (RFC 6455): enough to say what a browser says, and what
    a browser never would."""

    def __init__(self, port, path="/ws", timeout=5.0, headers=(), source=None):
        self.sock = socket.create_connection((HOST, port), timeout=timeout,
                                             source_address=(source, 0) if source else None)
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


def to_game(ws, pid):
    """Through the hostile study's pages into its waiting room, as a person would."""
    ws.send_json({"type": "hello", "subject": None, "token": None, "params": {"PROLIFIC_PID": pid}})
    ws.recv_json(want="welcome")
    scene = ws.recv_json(want="scene")
    ws.send_json({"type": "advance", "scene": scene["id"], "form": {"consent": "yes", "age": "30"}})
    scene = ws.recv_json(want="scene")
    ws.send_json({"type": "start", "scene": scene["id"]})


def attack_fast_clock(a):
    """A seat that sends its inputs `rate` times a second, far faster than the game runs."""
    ws = WS(a.port, timeout=60)
    to_game(ws, "fastclock")
    start = ws.recv_json(timeout=60, want="game_start")
    episode = ws.recv_json(timeout=30, want="episode_start")["episode"]
    t0 = time.monotonic()
    for frame in range(start["max_steps"]):
        ws.send_binary(struct.pack("<BBHIiIQ", 1, episode & 0xFF, 0, frame, 4, 0, 0))
        time.sleep(1.0 / a.rate)
    sent_s = time.monotonic() - t0
    end = ws.recv_json(timeout=120, want="game_end")
    report(frames=start["max_steps"], sent_s=f"{sent_s:.2f}",
           game_end=end["reason"] if end else "none", game_s=f"{time.monotonic() - t0:.2f}")


def attack_silent_pair(a):
    """Two people's pages that reach a game together and then send nothing at all."""
    pair = [WS(a.port, timeout=60), WS(a.port, timeout=60)]
    for i, ws in enumerate(pair):
        to_game(ws, f"silent{i}")
    for ws in pair:
        ws.recv_json(timeout=60, want="episode_start")
    t0 = time.monotonic()
    ends = [ws.recv_json(timeout=a.timeout, want="game_end") for ws in pair]
    report(game_end=",".join(e["reason"] if e else "none" for e in ends),
           after_s=f"{time.monotonic() - t0:.1f}")


def attack_stale_advance(a):
    """A page that repeats a stale `advance` 100 times a second: how much comes back?"""
    ws = WS(a.port)
    ws.send_json({"type": "hello", "subject": None, "token": None, "params": {"PROLIFIC_PID": "repeater"}})
    ws.recv_json(want="welcome")
    ws.recv_json(want="scene")
    for _ in range(a.count):
        ws.send_json({"type": "advance", "scene": "nowhere"})
        time.sleep(0.01)
    scenes = received = 0
    try:
        while True:
            op, payload = ws.recv(timeout=1.0)
            received += len(payload)
            scenes += op == 1 and json.loads(payload).get("type") == "scene"
    except (TimeoutError, ConnectionError, OSError):
        pass
    report(sent=a.count, scenes=scenes, bytes=received, closed=int(ws.closed))


def attack_visibility_flap(a):
    """A seat in a game whose page flips hidden/visible 100 times a second."""
    ws = WS(a.port, timeout=60)
    to_game(ws, "flapper")
    ws.recv_json(timeout=60, want="episode_start")
    for i in range(a.count):
        ws.send_json({"type": "visibility", "visible": i % 2 == 1})
        time.sleep(0.01)
    end = ws.recv_json(timeout=60, want="game_end")
    report(flips=a.count, game_end=end["reason"] if end else "none")


def attack_forged_log(a):
    """Connections whose bad messages carry a newline and a fake log record, in bulk."""
    refused = 0
    for i in range(a.count):
        try:
            ws = WS(a.port, timeout=2)
            ws.send_json({"type": f"x\n2030-01-01T00:00:00.000Z error FORGED {i}"})
            if ws.wait_closed(timeout=2):
                refused += 1
            ws.close()
        except (ConnectionError, OSError, TimeoutError):
            refused += 1
    report(connections=a.count, refused=refused)


def http_json(port, path, timeout=2.0):
    """GET path on the loopback and parse the JSON body (None on any failure)."""
    try:
        s = socket.create_connection((HOST, port), timeout=timeout)
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        return json.loads(data.partition(b"\r\n\r\n")[2])
    except (OSError, ValueError):
        return None


def hello_once(port, params, subject=None, token=None, missing=None, timeout=3.0):
    """One connection, one hello: (the first reply that is a welcome, an error or a scene,
    the socket). The reply is None when the server closed or said nothing in time."""
    ws = WS(port, timeout=timeout)
    msg = {"type": "hello", "subject": subject, "token": token, "params": params}
    if missing:
        msg["missing"] = missing
    ws.send_json(msg)
    try:
        while True:
            m = ws.recv_json(timeout=timeout)
            if m is None or m.get("type") in ("welcome", "error", "scene"):
                return m, ws
    except (ConnectionError, OSError, TimeoutError):
        return None, ws


def attack_newids(a):
    """Participants from new ids as fast as this machine can make them: `workers` threads,
    each connecting, saying hello with a fresh PROLIFIC_PID, reading the reply and hanging
    up, for `seconds`. Counts the welcomes (participants the server took) and refusals,
    and asks /healthz how many participants the server holds at the end."""
    import threading
    deadline = time.monotonic() + a.seconds
    lock = threading.Lock()
    tally = {"welcome": 0, "failed": 0}

    def worker(w):
        i = 0
        while time.monotonic() < deadline:
            i += 1
            pid = f"{a.prefix}{w}-{i}-{os.urandom(3).hex()}"
            try:
                m, ws = hello_once(a.port, {"PROLIFIC_PID": pid}, timeout=2.0)
                ws.close()
            except (ConnectionError, OSError, TimeoutError):
                m = None
            kind = "failed" if m is None else m["type"] if m["type"] != "error" else m.get("code", "error")
            with lock:
                tally[kind] = tally.get(kind, 0) + 1

    t0 = time.monotonic()
    threads = [threading.Thread(target=worker, args=(w,)) for w in range(a.workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.monotonic() - t0
    refused = sum(v for k, v in tally.items() if k not in ("welcome", "failed"))
    codes = ",".join(f"{k}:{v}" for k, v in sorted(tally.items()) if k not in ("welcome", "failed")) or "-"
    health = http_json(a.port, "/healthz") or {}
    report(created=tally["welcome"], refused=refused, failed=tally["failed"], codes=codes,
           seconds=f"{took:.1f}", per_s=int(tally["welcome"] / took),
           held=health.get("participants", -1))


def stuffed_params(pid):
    """About 60 KB of parameters the experiment does not name, beside a real id."""
    params = {f"junk{i}": "j" * 1900 for i in range(30)}
    params.update({"PROLIFIC_PID": pid, "STUDY_ID": "S" * 200})
    return params


def attack_bigparams(a):
    """Hellos with huge params. A configured study parameter over the length limit is
    refused; `count` hellos stuffed with unconfigured parameters (about 60 KB each) from
    new ids are welcome but never act; one more acts (advances from the first page), so
    its participant row is written: with the configured parameters only."""
    m, ws = hello_once(a.port, {"PROLIFIC_PID": f"{a.prefix}refused", "STUDY_ID": "x" * 300})
    refused = int(m is not None and m.get("type") == "error")
    code = m.get("code") if m else "none"
    closed = int(ws.wait_closed(3.0))
    ws.close()
    print(f"over-long STUDY_ID: {code}, closed={closed}")
    welcomed = 0
    for i in range(a.count):
        m, ws = hello_once(a.port, stuffed_params(f"{a.prefix}idle-{i}"))
        welcomed += int(m is not None and m.get("type") == "welcome")
        ws.close()
    print(f"stuffed hellos that never act: {welcomed} of {a.count} welcomed")
    m, ws = hello_once(a.port, stuffed_params(f"{a.prefix}stuffed"))
    acted = 0
    if m is not None and m.get("type") == "welcome":
        scene = ws.recv_json(timeout=3.0, want="scene")
        if scene and scene.get("kind") == "page":
            ws.send_json({"type": "advance", "scene": scene["id"], "form": {}})
            nxt = ws.recv_json(timeout=3.0, want="scene")
            acted = int(nxt is not None and nxt.get("id") != scene["id"])
    ws.close()
    print(f"stuffed hello that acts: acted={acted}")
    report(refused=refused, refused_code=code, refused_closed=closed, idle_welcomed=welcomed,
           acted=acted)


def wait_health(port, key, want, timeout):
    """Poll /healthz until its `key` is at least `want`; the last value seen."""
    deadline = time.monotonic() + timeout
    v = None
    while time.monotonic() < deadline:
        h = http_json(port, "/healthz")
        v = h.get(key) if h else None
        if v is not None and v >= want:
            return v
        time.sleep(0.05)
    return v


def attack_hijack(a):
    """Knowing an honest participant's id (bot-honest-INDEX): token-less hellos naming it,
    by panel id and by remembered subject, each claiming missing browser features, while
    that participant is connected and playing; then one after it finished and hung up,
    and one more with the token that one was given. None may receive the victim's token
    (the case compares every token printed here with cohort.db), push the victim off or
    exclude anybody."""
    found = {"tokens": 0, "in_use": 0, "views": 0, "other": 0}
    seen = []
    playing = wait_health(a.port, "playing", 2, 30.0)
    print(f"honest pair playing: {playing}")
    for _ in range(a.count):
        for params, subject in (({"PROLIFIC_PID": a.victim}, None), ({}, a.victim)):
            m, ws = hello_once(a.port, params, subject=subject, missing=["WebAssembly"])
            ws.close()
            if m is not None and m.get("type") == "welcome":
                found["tokens"] += 1
                seen.append(m.get("token"))
            if m is not None and m.get("code") == "subject_in_use":
                found["in_use"] += 1
            else:
                found["other"] += 1
                print(f"while playing, got {m}")
        time.sleep(0.1)  # spread over the game, not one burst
    # Once the victim has finished and hung up: their end page at most, never the token.
    deadline = time.monotonic() + 40.0
    while time.monotonic() < deadline:
        h = http_json(a.port, "/healthz")
        if h and h.get("playing") == 0 and h.get("connected") == 0:
            break
        time.sleep(0.1)
    view_outcome = "none"
    given = None
    for token in (None, "given"):
        if token == "given" and not given:
            break
        m, ws = hello_once(a.port, {"PROLIFIC_PID": a.victim}, missing=["WebAssembly"],
                           token=given if token else None)
        try:
            while m is not None and m.get("type") == "welcome":  # then the end scene
                seen.append(m.get("token"))
                given = m.get("token")
                m = ws.recv_json(timeout=3.0)
        except (ConnectionError, OSError, TimeoutError):
            m = None
        if m is not None and m.get("type") == "scene" and m.get("kind") == "end":
            found["views"] += 1
            view_outcome = m.get("outcome")
        ws.close()
    print(f"after the end: shown outcome {view_outcome}, {found['views']} times")
    distinct = len(set(t for t in seen if t))
    print(f"tokens received: {' '.join(t or '-' for t in seen) or 'none'}")
    report(tokens_during_game=found["tokens"], in_use=found["in_use"], views=found["views"],
           view_outcome=view_outcome, other=found["other"], tries=2 * a.count,
           tokens_seen=",".join(t for t in seen if t) or "-", distinct_tokens=distinct)

def tcp(port, source=None, timeout=5.0):
    """A plain TCP connection to the server, optionally from another loopback address
    (127.0.0.2 and so on: the whole of 127/8 is the loopback on Linux)."""
    return socket.create_connection((HOST, port), timeout=timeout,
                                    source_address=(source, 0) if source else None)


def closed_now(sock, wait):
    """True if the server closes (EOF or reset) the socket within `wait` seconds; bytes it
    sends meanwhile are read and dropped."""
    deadline = time.monotonic() + wait
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            sock.settimeout(left)
            if not sock.recv(4096):
                return True
    except socket.timeout:
        return False
    except OSError:
        return True


def close_reason(data):
    """The reason in the first close frame among a server's (unmasked) frames, or None."""
    off = 0
    while off + 2 <= len(data):
        op, n, hdr = data[off] & 0x0F, data[off + 1] & 0x7F, 2
        if n == 126:
            n, hdr = struct.unpack(">H", data[off + 2:off + 4])[0], 4
        elif n == 127:
            n, hdr = struct.unpack(">Q", data[off + 2:off + 10])[0], 10
        if op == 8:
            return data[off + hdr + 2:off + hdr + n].decode(errors="replace")
        off += hdr + n
    return None


def watch_closes(socks, t0, wait, keep=None):
    """Seconds from t0 until the server closed each socket (None: still open after `wait`
    seconds). Whatever arrives is read and dropped, except that keep[i] (a bytearray), if
    given, collects what socket i received."""
    when = [None] * len(socks)
    sel = selectors.DefaultSelector()
    for i, s in enumerate(socks):
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, i)
    deadline = time.monotonic() + wait
    open_n = len(socks)
    while open_n and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=max(0.0, min(0.5, deadline - time.monotonic()))):
            i = key.data
            try:
                data = socks[i].recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if keep is not None and i in keep:
                keep[i] += data
            if not data:
                when[i] = time.monotonic() - t0
                sel.unregister(socks[i])
                open_n -= 1
    sel.close()
    return when


def close_all(socks):
    for s in socks:
        try:
            s.close()
        except OSError:
            pass


def attack_silent(a):
    """WebSockets that complete the handshake and never say hello: the server must close
    every one of them once the hello deadline passes."""
    conns, failed = [], 0
    for _ in range(a.count):
        try:
            conns.append(WS(a.port, source=a.source))
        except (ConnectionError, OSError):
            failed += 1
    t0 = time.monotonic()
    keep = {0: bytearray(conns[0].buf)} if conns else {}
    when = watch_closes([c.sock for c in conns], t0, a.wait, keep)
    done = [w for w in when if w is not None]
    close_all(c.sock for c in conns)
    reason = close_reason(bytes(keep[0])) if conns else None
    print(f"close reason: {reason}")
    report(opened=len(conns), failed=failed, closed=len(done),
           max_s=f"{max(done):.1f}" if done else "-", min_s=f"{min(done):.1f}" if done else "-",
           reason_ok=int(bool(reason) and "hello" in reason))


def attack_conns(a):
    """Many connections at once from one address, held open: those over the server's caps
    must be refused (closed at once). With --ws each does the WebSocket handshake (accepted
    = answered 101); without, each only connects (accepted = still open after a second)."""
    socks, accepted, refused, failed = [], 0, 0, 0
    t0 = time.monotonic()
    for _ in range(a.count):
        try:
            if a.ws:
                socks.append(WS(a.port, source=a.source, timeout=3.0).sock)
                accepted += 1
            else:
                socks.append(tcp(a.port, a.source, timeout=3.0))
        except (ConnectionError, OSError):
            refused += 1 if a.ws else 0
            failed += 0 if a.ws else 1
    open_at = time.monotonic() - t0
    if not a.ws:
        # Give the server a second to refuse what is over its caps, then count.
        when = watch_closes(socks, time.monotonic(), 1.0)
        refused = sum(1 for w in when if w is not None)
        accepted = len(socks) - refused
    time.sleep(max(0.0, a.hold - (time.monotonic() - t0)))
    close_all(socks)
    report(attempts=a.count, accepted=accepted, refused=refused, failed=failed,
           open_s=f"{open_at:.1f}")


def http_probe(port, path="/healthz", timeout=30.0, source=None):
    """Milliseconds for a fresh connection to get a whole answer to GET path; -1 if it
    does not within the timeout."""
    t0 = time.monotonic()
    try:
        s = tcp(port, source, timeout=timeout)
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while True:
            s.settimeout(max(0.01, timeout - (time.monotonic() - t0)))
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        if not data.startswith(b"HTTP/1.1 200"):
            return -1
    except OSError:
        return -1
    return int((time.monotonic() - t0) * 1000)


def attack_slowloris(a):
    """Half-sent HTTP requests (slowloris): each sends a request line and a header, then one
    more header line every second, never the blank line that ends the headers. The server
    must close them after its header timeout, and meanwhile still answer a new request."""
    socks = []
    for _ in range(a.count):
        try:
            s = tcp(a.port, a.source, timeout=3.0)
            s.sendall(f"GET /index.html HTTP/1.1\r\nHost: {HOST}\r\n".encode())
            socks.append(s)
        except OSError:
            pass
    t0 = time.monotonic()
    time.sleep(0.5)
    probe_ms = http_probe(a.port, timeout=a.wait)
    when = [None] * len(socks)
    deadline = t0 + a.wait
    next_trickle = t0 + 1.0
    while time.monotonic() < deadline and any(w is None for w in when):
        # trickle a header to every open one, then watch for closes until the next trickle
        if time.monotonic() >= next_trickle:
            next_trickle += 1.0
            for i, s in enumerate(socks):
                if when[i] is None:
                    try:
                        s.setblocking(True)
                        s.settimeout(0.2)
                        s.send(b"X-Slow: 1\r\n")
                    except OSError:
                        when[i] = time.monotonic() - t0
        open_idx = [i for i, w in enumerate(when) if w is None]
        got = watch_closes([socks[i] for i in open_idx], t0,
                           max(0.0, min(next_trickle, deadline) - time.monotonic()))
        for i, w in zip(open_idx, got):
            if w is not None:
                when[i] = w
    done = [w for w in when if w is not None]
    close_all(socks)
    report(opened=len(socks), closed=len(done), probe_ms=probe_ms,
           max_s=f"{max(done):.1f}" if done else "-")


def attack_xff(a):
    """A participant whose request carries X-Forwarded-For and who acts once: welcome
    expected; what the server records as the address is checked by the case in cohort.db. With --more N, N more
    WebSockets with the same header are opened beside it (the per-address cap applies to
    the forwarded address when the peer is a trusted proxy)."""
    headers = [f"X-Forwarded-For: {a.xff}"]
    ws = WS(a.port, headers=headers, source=a.source)
    subject = a.subject or "xff-probe"
    ws.send_json({"type": "hello", "subject": subject, "token": None,
                  "params": {"PROLIFIC_PID": subject}})
    msg = ws.recv_json(timeout=5.0, want="welcome")
    # Act (the consent page's Continue): only then is the participant, and the address of
    # the connection they act from, written down (docs/DESIGN.md section 5).
    scene = ws.recv_json(timeout=5.0, want="scene")
    ws.send_json({"type": "advance", "scene": scene["id"], "form": {"consent": "yes", "age": "30"}})
    ws.recv_json(timeout=5.0, want="scene")
    more, accepted, refused = [], 0, 0
    for _ in range(a.more):
        try:
            more.append(WS(a.port, headers=headers, source=a.source, timeout=3.0))
            accepted += 1
        except (ConnectionError, OSError):
            refused += 1
    close_all(w.sock for w in more)
    ws.close()
    report(welcome=int(msg is not None), more_accepted=accepted, more_refused=refused)


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


def attack_slow_reader(a):
    """A player who reaches a game and then stops reading its socket (and so stops
    answering pings), holding it open: the server must not buffer for it forever."""
    ws = WS(a.port, timeout=60)
    to_game(ws, "slowreader")
    ws.recv_json(timeout=60, want="waiting")
    print("waiting", flush=True)
    ws.recv_json(timeout=60, want="game_start")
    t0 = time.monotonic()
    time.sleep(a.hold)  # reads nothing: pings, CONFIRMs and STATEs pile up unread
    closed_after = None
    try:
        ws.sock.settimeout(5.0)
        while True:
            if not ws.sock.recv(65536):
                closed_after = time.monotonic() - t0
                break
    except (ConnectionError, OSError):
        closed_after = time.monotonic() - t0
    report(closed=int(closed_after is not None), held_s=f"{a.hold:.0f}")


ATTACKS = {
    "slow_reader": attack_slow_reader,
    "flood": attack_flood,
    "fast_clock": attack_fast_clock,
    "silent_pair": attack_silent_pair,
    "stale_advance": attack_stale_advance,
    "visibility_flap": attack_visibility_flap,
    "forged_log": attack_forged_log,
    "newids": attack_newids,
    "bigparams": attack_bigparams,
    "hijack": attack_hijack,
    "silent": attack_silent,
    "conns": attack_conns,
    "slowloris": attack_slowloris,
    "xff": attack_xff,
    "hello": attack_hello,
    "relay": attack_relay,
}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("port", type=int)
    p.add_argument("attack", choices=sorted(ATTACKS))
    p.add_argument("--count", type=int, default=2000)
    p.add_argument("--rate", type=float, default=190.0)
    p.add_argument("--timeout", type=float, default=30.0)
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--prefix", default="flood-")
    p.add_argument("--victim", default="bot-honest-0")
    p.add_argument("--source", default=None, help="a loopback address to connect from")
    p.add_argument("--wait", type=float, default=10.0, help="seconds to watch for closes")
    p.add_argument("--hold", type=float, default=3.0, help="seconds to hold connections")
    p.add_argument("--ws", action="store_true", help="conns: do the WebSocket handshake")
    p.add_argument("--xff", default="203.0.113.7", help="xff: the X-Forwarded-For value")
    p.add_argument("--subject", default=None, help="xff, hello: the participant's id")
    p.add_argument("--more", type=int, default=0, help="xff: more sockets with the header")
    p.add_argument("--port-file", default=None, help="relay: where to write its own port")
    p.add_argument("--log", default=None, help="relay: where to note the end scenes seen")
    a = p.parse_args()
    ATTACKS[a.attack](a)


if __name__ == "__main__":
    sys.exit(main())
