#!/usr/bin/env python3
"""Writes a valid wasm module of about SIZE MiB: a small proxy-wasm filter followed by one
custom section ("bench") of random bytes. Usage: make-module.py BASE.wasm SIZE_MIB OUT.wasm"""
import os
import sys


def leb128(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | 0x80 if n else byte)
        if not n:
            return bytes(out)


def main():
    base_path, size_mib, out_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    base = open(base_path, "rb").read()
    if base[:4] != b"\0asm":
        sys.exit(f"{base_path}: not a wasm module")
    name = b"bench"
    target = size_mib << 20
    # Payload so that the whole file is exactly `target` bytes (the LEB's own length settles
    # after a couple of tries).
    payload = max(0, target - len(base) - 1 - 1 - len(name))
    for _ in range(4):
        body = 1 + len(name) + payload
        payload = max(0, target - len(base) - 1 - len(leb128(body)) - 1 - len(name))
    body = 1 + len(name) + payload
    with open(out_path, "wb") as out:
        out.write(base)
        out.write(b"\0" + leb128(body) + bytes([len(name)]) + name)
        left = payload
        while left:
            chunk = os.urandom(min(left, 4 << 20))
            out.write(chunk)
            left -= len(chunk)


if __name__ == "__main__":
    main()
