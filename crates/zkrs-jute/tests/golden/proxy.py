#!/usr/bin/env python3
"""Frame-recording TCP proxy for the ZooKeeper client port (used by capture.sh).

Listens on 127.0.0.1 (a free port), forwards every accepted connection to
127.0.0.1:<upstream>, splits each direction on the 4-byte big-endian length
prefix and appends every complete frame to the output file:

    @conn <n>            a new client connection starts (a new ConnectRequest follows)
    C <hex>              client -> server frame, length prefix included
    S <hex>              server -> client frame, length prefix included
    # <text>             comment (step markers sent on the control port)

A frame is logged before it is forwarded, under one lock, so the file order is
the order in which the proxy saw complete frames.

Control port (one line per command, answered with "ok\n"):
    mark <text>   write "# <text>" into the output
    hold          new connections are accepted but not forwarded until "resume"
    resume        release held connections
    drop          close every open connection (both sides)
    quit          stop the proxy

Everything is bounded: sockets have timeouts and the whole process exits after
--max-seconds.
"""
import argparse
import os
import socket
import struct
import sys
import threading
import time

MAX_FRAME = 4 * 1024 * 1024


class Recorder:
    def __init__(self, path):
        self.f = open(path, "w", encoding="ascii")
        self.lock = threading.Lock()

    def line(self, text):
        with self.lock:
            self.f.write(text + "\n")
            self.f.flush()

    def close(self):
        with self.lock:
            self.f.close()


def recv_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


class Proxy:
    def __init__(self, args):
        self.args = args
        self.rec = Recorder(args.out)
        self.conns = []  # list of (client_sock, server_sock)
        self.conns_lock = threading.Lock()
        self.conn_no = 0
        self.released = threading.Event()
        self.released.set()
        self.stop = threading.Event()

    # -- data path ---------------------------------------------------------
    def pump(self, src, dst, tag):
        try:
            while not self.stop.is_set():
                head = recv_exact(src, 4)
                if head is None:
                    break
                (length,) = struct.unpack(">i", head)
                if length < 0 or length > MAX_FRAME:
                    self.rec.line("# %s: bad frame length %d, closing" % (tag, length))
                    break
                body = recv_exact(src, length)
                if body is None:
                    self.rec.line("# %s: EOF inside a frame" % tag)
                    break
                frame = head + body
                self.rec.line("%s %s" % (tag, frame.hex()))
                dst.sendall(frame)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def serve_client(self, csock):
        # A held connection waits here (bounded) before anything is read or forwarded.
        if not self.released.wait(timeout=self.args.max_seconds):
            csock.close()
            return
        try:
            ssock = socket.create_connection(("127.0.0.1", self.args.upstream), timeout=10)
        except OSError as e:
            self.rec.line("# upstream connect failed: %s" % e)
            csock.close()
            return
        ssock.settimeout(self.args.max_seconds)
        csock.settimeout(self.args.max_seconds)
        with self.conns_lock:
            self.conn_no += 1
            self.conns.append((csock, ssock))
            self.rec.line("@conn %d" % self.conn_no)
        t1 = threading.Thread(target=self.pump, args=(csock, ssock, "C"), daemon=True)
        t2 = threading.Thread(target=self.pump, args=(ssock, csock, "S"), daemon=True)
        t1.start()
        t2.start()
        t1.join()
        t2.join()
        for s in (csock, ssock):
            s.close()
        with self.conns_lock:
            if (csock, ssock) in self.conns:
                self.conns.remove((csock, ssock))

    def accept_loop(self, lsock):
        while not self.stop.is_set():
            try:
                csock, _ = lsock.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            threading.Thread(target=self.serve_client, args=(csock,), daemon=True).start()

    # -- control path ------------------------------------------------------
    def drop_all(self):
        with self.conns_lock:
            conns = list(self.conns)
        for pair in conns:
            for s in pair:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        # Wait (bounded) until the pumps have noticed and removed the connections.
        deadline = time.time() + 5
        while time.time() < deadline:
            with self.conns_lock:
                if not any(p in self.conns for p in conns):
                    break
            time.sleep(0.01)

    def control_conn(self, sock):
        sock.settimeout(self.args.max_seconds)
        f = sock.makefile("rwb", buffering=0)
        try:
            for raw in f:
                line = raw.decode("utf-8").rstrip("\n")
                cmd, _, rest = line.partition(" ")
                if cmd == "mark":
                    self.rec.line("# " + rest)
                elif cmd == "hold":
                    self.released.clear()
                elif cmd == "resume":
                    self.released.set()
                elif cmd == "drop":
                    self.drop_all()
                elif cmd == "quit":
                    f.write(b"ok\n")
                    self.stop.set()
                    return
                else:
                    f.write(b"err\n")
                    continue
                f.write(b"ok\n")
        except OSError:
            pass
        finally:
            sock.close()

    def control_loop(self, csock_listen):
        while not self.stop.is_set():
            try:
                s, _ = csock_listen.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            threading.Thread(target=self.control_conn, args=(s,), daemon=True).start()

    def run(self):
        lsock = socket.socket()
        lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        lsock.bind(("127.0.0.1", 0))
        lsock.listen(16)
        lsock.settimeout(0.5)
        ctl = socket.socket()
        ctl.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ctl.bind(("127.0.0.1", 0))
        ctl.listen(4)
        ctl.settimeout(0.5)
        # Write the ports atomically so the caller never reads a half-written file.
        tmp = self.args.port_file + ".tmp"
        with open(tmp, "w") as pf:
            pf.write("%d %d\n" % (lsock.getsockname()[1], ctl.getsockname()[1]))
        os.rename(tmp, self.args.port_file)
        threading.Thread(target=self.accept_loop, args=(lsock,), daemon=True).start()
        threading.Thread(target=self.control_loop, args=(ctl,), daemon=True).start()
        self.stop.wait(timeout=self.args.max_seconds)
        self.stop.set()
        self.released.set()
        self.drop_all()
        lsock.close()
        ctl.close()
        self.rec.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--upstream", type=int, required=True, help="server port on 127.0.0.1")
    ap.add_argument("--out", required=True, help="capture file to write")
    ap.add_argument("--port-file", required=True, help="writes '<listen-port> <control-port>'")
    ap.add_argument("--max-seconds", type=float, default=300.0)
    Proxy(ap.parse_args()).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
