#!/usr/bin/env python3
"""Trim a preallocated ZooKeeper txn log (version-2/log.*) after its last record.

Usage: trim_log.py <log file> <output file>

Keeps the 16-byte FileHeader, every complete record (long checksum, int len, txn bytes, 'B'),
then PAD zero bytes, so a reader still finds the zero-length end-of-log entry. Verifies each
record's Adler32. Prints "records=<n> original_size=<bytes> trimmed_size=<bytes>".
"""
import struct
import sys
import zlib

PAD = 16


def main():
    src, dst = sys.argv[1], sys.argv[2]
    data = open(src, "rb").read()
    magic, version, _dbid = struct.unpack_from(">iiq", data, 0)
    if magic != 0x5A4B4C47 or version != 2:
        raise SystemExit("%s: not a version-2 ZKLG txn log" % src)
    off, records = 16, 0
    while off + 12 <= len(data):
        crc, length = struct.unpack_from(">qi", data, off)
        if length == 0:
            break
        end = off + 12 + length
        if length < 0 or end + 1 > len(data) or data[end] != 0x42:
            raise SystemExit("%s: truncated or corrupt record at offset %d" % (src, off))
        txn = data[off + 12:end]
        if zlib.adler32(txn) & 0xFFFFFFFF != crc & 0xFFFFFFFF:
            raise SystemExit("%s: checksum mismatch at offset %d" % (src, off))
        off = end + 1
        records += 1
    out = data[:off] + b"\0" * PAD
    open(dst, "wb").write(out)
    print("records=%d original_size=%d trimmed_size=%d" % (records, len(data), len(out)))


if __name__ == "__main__":
    main()
