"""Raw ZooKeeper client frames for the ensemble tests that need exact bytes
(test_read_only.py): a ConnectRequest with or without the readOnly byte, the reply
headers of single requests, and what the server does to the connection.

Loopback only; every socket operation has a timeout; replies are bounded in size.
"""

from __future__ import annotations

import socket
import struct
import time

MAX_FRAME = 1 << 20

# opcodes (ZooDefs.OpCode)
CREATE, DELETE, EXISTS, GET_DATA, SET_DATA, GET_ACL, SET_ACL, GET_CHILDREN, SYNC = 1, 2, 3, 4, 5, 6, 7, 8, 9
PING, GET_CHILDREN2, CHECK, MULTI, CREATE2, RECONFIG = 11, 12, 13, 14, 15, 16
CREATE_CONTAINER, DELETE_CONTAINER, CREATE_TTL, MULTI_READ = 19, 20, 21, 22
SET_WATCHES, GET_EPHEMERALS, GET_ALL_CHILDREN_NUMBER, ADD_WATCH, WHO_AM_I = 101, 103, 104, 106, 107
CREATE_SESSION, CLOSE_SESSION = -10, -11

OPEN_ACL = [(31, "world", "anyone")]


def s_(v: str) -> bytes:
    b = v.encode()
    return struct.pack(">i", len(b)) + b


def buf(v: bytes | None) -> bytes:
    if v is None:
        return struct.pack(">i", -1)
    return struct.pack(">i", len(v)) + v


def acl(entries=OPEN_ACL) -> bytes:
    out = struct.pack(">i", len(entries))
    for perms, scheme, ident in entries:
        out += struct.pack(">i", perms) + s_(scheme) + s_(ident)
    return out


def path_watch(path: str, watch: bool = False) -> bytes:
    return s_(path) + (b"\x01" if watch else b"\x00")


def create_body(path: str, data: bytes = b"x", flags: int = 0) -> bytes:
    return s_(path) + buf(data) + acl() + struct.pack(">i", flags)


def multi_body(ops) -> bytes:
    """ops: [(opcode, body)]; MultiHeader{type, done, err} before each, (-1, true, -1) last."""
    out = b""
    for op, body in ops:
        out += struct.pack(">i?i", op, False, -1) + body
    return out + struct.pack(">i?i", -1, True, -1)


# One request of every kind the read-only tests try, with a body that is valid on a tree
# holding `base` (a node with data) and no `base`/new.
def request_bodies(base: str) -> dict[str, tuple[int, bytes]]:
    return {
        "getData": (GET_DATA, path_watch(base, True)),
        "exists": (EXISTS, path_watch(base, True)),
        "exists-missing": (EXISTS, path_watch(base + "/none", True)),
        "getChildren": (GET_CHILDREN, path_watch(base, True)),
        "getChildren2": (GET_CHILDREN2, path_watch(base, False)),
        "getACL": (GET_ACL, s_(base)),
        "getAllChildrenNumber": (GET_ALL_CHILDREN_NUMBER, s_(base)),
        "getEphemerals": (GET_EPHEMERALS, s_(base)),
        "addWatch": (ADD_WATCH, s_(base) + struct.pack(">i", 0)),
        "whoAmI": (WHO_AM_I, b""),
        "multiRead": (MULTI_READ, multi_body([(GET_DATA, path_watch(base))])),
        "sync": (SYNC, s_(base)),
        "create": (CREATE, create_body(base + "/new")),
        "create2": (CREATE2, create_body(base + "/new")),
        "create-ephemeral": (CREATE, create_body(base + "/eph", flags=1)),
        "createContainer": (CREATE_CONTAINER, create_body(base + "/c", flags=4)),
        "createTTL": (CREATE_TTL, create_body(base + "/t", flags=5) + struct.pack(">q", 10000)),
        "delete": (DELETE, s_(base) + struct.pack(">i", -1)),
        "deleteContainer": (DELETE_CONTAINER, s_(base)),
        "setData": (SET_DATA, s_(base) + buf(b"y") + struct.pack(">i", -1)),
        "setACL": (SET_ACL, s_(base) + acl() + struct.pack(">i", -1)),
        "check": (CHECK, s_(base) + struct.pack(">i", -1)),
        "multi": (MULTI, multi_body([(CHECK, s_(base) + struct.pack(">i", -1))])),
        "reconfig": (RECONFIG, s_("") + s_("") + s_("") + struct.pack(">q", -1)),
    }


def connect_request(session_id: int = 0, passwd: bytes = b"\0" * 16, timeout_ms: int = 30000,
                    last_zxid: int = 0, read_only: bool | None = True) -> bytes:
    body = struct.pack(">iqiq", 0, last_zxid, timeout_ms, session_id) + buf(passwd)
    if read_only is not None:
        body += b"\x01" if read_only else b"\x00"
    return struct.pack(">i", len(body)) + body


class Conn:
    """One raw client connection."""

    def __init__(self, address: str, timeout: float = 5.0):
        host, port = address.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        self.sock.settimeout(timeout)
        self.xid = 0

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _read_exact(self, n: int) -> bytes | None:
        out = b""
        while len(out) < n:
            try:
                chunk = self.sock.recv(n - len(out))
            except (ConnectionResetError, socket.timeout):
                return None
            if not chunk:
                return None
            out += chunk
        return out

    def read_frame(self) -> bytes | None:
        """The next frame's payload, or None when the server closed (or reset) first."""
        head = self._read_exact(4)
        if head is None:
            return None
        (n,) = struct.unpack(">i", head)
        if n < 0 or n > MAX_FRAME:
            raise ValueError(f"bad frame length {n}")
        return self._read_exact(n)

    def closed_by_server(self, wait: float = 2.0) -> bool:
        """True once the server has closed the connection (EOF or reset) within `wait`."""
        self.sock.settimeout(wait)
        try:
            data = self.sock.recv(1)
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False
        return data == b""

    def request(self, op: int, body: bytes = b"", xid: int | None = None):
        """Sends one request; returns (xid, zxid, err, body) of its reply, or None (closed)."""
        if xid is None:
            self.xid += 1
            xid = self.xid
        payload = struct.pack(">ii", xid, op) + body
        self.send(struct.pack(">i", len(payload)) + payload)
        while True:
            f = self.read_frame()
            if f is None:
                return None
            rxid, zxid, err = struct.unpack(">iqi", f[:16])
            if rxid == -1:  # a watch event
                continue
            return rxid, zxid, err, f[16:]


def parse_connect_response(f: bytes | None) -> dict | None:
    if f is None:
        return None
    out = {"len": len(f), "raw": f.hex()}
    if len(f) < 16:
        return out
    out["protocol_version"], out["timeout"], out["session_id"] = struct.unpack(">iiq", f[:16])
    if len(f) >= 20:
        (plen,) = struct.unpack(">i", f[16:20])
        if 0 <= plen <= len(f) - 20:
            out["passwd"] = f[20:20 + plen]
            rest = f[20 + plen:]
            out["read_only"] = rest[0] if rest else None
    return out


def connect(address: str, read_only: bool | None = True, session_id: int = 0,
            passwd: bytes = b"\0" * 16, timeout_ms: int = 30000, last_zxid: int = 0):
    """Opens a connection and sends a ConnectRequest; returns (Conn, parsed response or None
    when the server closed without one)."""
    c = Conn(address)
    c.send(connect_request(session_id, passwd, timeout_ms, last_zxid, read_only))
    resp = parse_connect_response(c.read_frame())
    return c, resp


def wait_until(pred, timeout: float, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)
