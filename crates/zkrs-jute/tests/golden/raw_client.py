#!/usr/bin/env python3
"""Raw-socket Jute client for the cases the Java client cannot produce (used by capture.sh).

Usage: raw_client.py <port> <control-port>

Talks to proxy.py (which records both directions). Every read is bounded by a socket timeout.

Connection 1, an "old" client: its ConnectRequest has no trailing readOnly byte (44-byte payload),
so the server answers with a 36-byte ConnectResponse. Then ping (xid -2), exists /golden (xid 1),
getData / (xid 2), getData /golden/w with watch (xid 3), and the socket is closed without
closeSession.

Connection 2 resumes that session (session id + password, lastZxidSeen 0, readOnly=0 this time:
45 -> 37 bytes) and sends setWatches with xid -8, as the C client does (the 3.8 Java client
replaces -8 by a normal xid when it sends the packet). relativeZxid 0 makes the server fire
NodeDataChanged for /golden/w before the -8 reply. Then closeSession (xid 4).
"""
import socket
import struct
import sys


def frame(payload):
    return struct.pack(">i", len(payload)) + payload


def ustring(s):
    b = s.encode("utf-8")
    return struct.pack(">i", len(b)) + b


def recv_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError("server closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return bytes(buf)


def recv_frame(sock):
    (n,) = struct.unpack(">i", recv_exact(sock, 4))
    return recv_exact(sock, n)


def reply_header(payload):
    return struct.unpack(">iqi", payload[:16])


class Control:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.s.settimeout(10)

    def mark(self, text):
        self.s.sendall(("mark %s\n" % text).encode("utf-8"))
        if recv_exact(self.s, 3) != b"ok\n":
            raise RuntimeError("proxy control did not answer ok")


def connect(port, session, passwd, read_only):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.settimeout(10)
    # protocolVersion, lastZxidSeen, timeOut, sessionId, passwd [, readOnly]
    req = struct.pack(">iqiq", 0, 0, 10000, session) + struct.pack(">i", len(passwd)) + passwd
    if read_only is not None:
        req += b"\1" if read_only else b"\0"
    s.sendall(frame(req))
    resp = recv_frame(s)
    _proto, timeout, sid = struct.unpack(">iiq", resp[:16])
    (plen,) = struct.unpack(">i", resp[16:20])
    return s, resp, sid, resp[20:20 + plen], timeout


def main():
    port, cport = int(sys.argv[1]), int(sys.argv[2])
    ctl = Control(cport)

    ctl.mark("old client connect: no readOnly byte (44-byte payload) -> 36-byte response")
    s, resp, sid, passwd, timeout = connect(port, 0, b"\0" * 16, None)
    assert len(resp) == 36, "expected a 36-byte ConnectResponse, got %d" % len(resp)
    print("raw client: session 0x%x timeout %d" % (sid, timeout))

    ctl.mark("old client ping (xid -2, opcode 11)")
    s.sendall(frame(struct.pack(">ii", -2, 11)))
    recv_frame(s)

    ctl.mark("old client exists /golden (xid 1)")
    s.sendall(frame(struct.pack(">ii", 1, 3) + ustring("/golden") + b"\0"))
    recv_frame(s)

    ctl.mark("old client getData / (xid 2)")
    s.sendall(frame(struct.pack(">ii", 2, 4) + ustring("/") + b"\0"))
    recv_frame(s)

    ctl.mark("old client getData /golden/w watch=true (xid 3), then the socket is closed")
    s.sendall(frame(struct.pack(">ii", 3, 4) + ustring("/golden/w") + b"\1"))
    recv_frame(s)
    s.close()

    ctl.mark("reconnect with session id + passwd, readOnly=0 (45 -> 37 bytes)")
    s, resp, sid2, _, _ = connect(port, sid, passwd, False)
    assert len(resp) == 37 and sid2 == sid, "session not resumed"

    ctl.mark("setWatches xid -8 relativeZxid 0 dataWatches [/golden/w] -> NodeDataChanged, then -8 reply")
    body = struct.pack(">q", 0) + struct.pack(">i", 1) + ustring("/golden/w") + struct.pack(">ii", 0, 0)
    s.sendall(frame(struct.pack(">ii", -8, 101) + body))
    for _ in range(4):  # the notification, then the reply (bounded)
        xid, _zxid, err = reply_header(recv_frame(s))
        if xid == -8:
            assert err == 0, "setWatches failed: %d" % err
            break
    else:
        raise RuntimeError("no setWatches reply")

    ctl.mark("closeSession (xid 4, opcode -11)")
    s.sendall(frame(struct.pack(">ii", 4, -11)))
    recv_frame(s)
    s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
