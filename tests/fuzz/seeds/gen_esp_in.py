#!/usr/bin/env python3
"""Write seeds for fuzz_esp_in into tests/fuzz/seeds/fuzz_esp_in/.

Format (tests/fuzz/fuzz_esp_in.c): [cfg] then [op][seq u64][len u16][body].
Inner packets use the test selectors: 203.0.113.128/25 -> 203.0.113.0/25,
2001:db8:2:: -> 2001:db8:1::, and in transport mode the outer pair.
"""
import os
import struct

D = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fuzz_esp_in")

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff

def ip4(src, dst, proto, l4, ident=1, df=True):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), ident,
                      0x4000 if df else 0, 64, proto, 0,
                      bytes(src), bytes(dst))
    return hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:] + l4

def ip6(src, dst, proto, l4):
    return struct.pack("!IHBB16s16s", 0x60000000, len(l4), proto, 64,
                       bytes(src), bytes(dst)) + l4

def udp(sp, dp, payload):
    return struct.pack("!HHHH", sp, dp, 8 + len(payload), 0) + payload

def tcp(sp, dp, seq, ack, flags, payload, opts=b""):
    off = (20 + len(opts)) // 4
    return struct.pack("!HHIIBBHHH", sp, dp, seq, ack, off << 4, flags,
                       65535, 0, 0) + opts + payload

def icmp(payload):
    return struct.pack("!BBHHH", 8, 0, 0, 1, 1) + payload

SRC4, DST4 = [203, 0, 113, 200], [203, 0, 113, 10]
SRC6 = [0x20, 0x01, 0x0d, 0xb8, 0, 2] + [0] * 9 + [1]
DST6 = [0x20, 0x01, 0x0d, 0xb8, 0, 1] + [0] * 9 + [1]

def pkt(op, seq, body):
    return struct.pack("!BQH", op, seq, len(body)) + body

def vnet(flags, gso_type, hdr_len, gso_size, csum_start, csum_offset):
    return struct.pack("<BBHHHH", flags, gso_type, hdr_len, gso_size,
                       csum_start, csum_offset)

def write(name, data):
    with open(os.path.join(D, name), "wb") as f:
        f.write(data)

os.makedirs(D, exist_ok=True)
v4 = ip4(SRC4, DST4, 17, udp(1234, 53, b"hello esp"))
v6 = ip6(SRC6, DST6, 58, icmp(b"ping6"))
t4 = ip4(SRC4, DST4, 6, tcp(40000, 80, 1000, 77, 0x18, b"GET / HTTP/1.1\r\n"))
for cfg in range(8):
    # a packet with a trailer the harness builds, its replay, a later one
    # with extra padding, one raw, one with a dummy next header (59)
    s = pkt(1, 1, v4) + pkt(1, 1, v4) + pkt(0x31, 5, v6) + pkt(1, 3, t4)
    s += pkt(2, 9, struct.pack("!II", 0, 9) + bytes(40))
    s += pkt(5, 4, b"\x3b" + bytes(19))
    write("esp-%d.bin" % cfg, bytes([cfg]) + s)
# ESN across the 2^32 boundary, small window, stale and replayed numbers
s = pkt(1, 0xfffffff8, v4) + pkt(1, 0x100000002, v4) + pkt(1, 0xfffffff8, v4)
s += pkt(1, 0x100000002, v4) + pkt(1, 0xffffff00, v4)
write("esn-wrap.bin", bytes([4 | 16 | 32]) + s)
write("esn-wrap-cbc.bin", bytes([1 | 4 | 16 | 32]) + s)
# transport mode: the inner is what follows the outer IP header
tr = udp(4500, 4500, b"transport payload")
s = pkt(5, 1, b"\x11" + tr[1:]) + pkt(0, 2, tr + b"\x01\x02\x02\x11")
write("transport.bin", bytes([8]) + s)
# plaintext with a bad trailer: padding not 1, 2, 3 / pad length too long
write("bad-pad.bin", bytes([0]) + pkt(0, 1, v4 + b"\x01\x03\x02\x04") +
      pkt(0, 2, v4 + b"\xff\x04"))
# offloads: TCPv4 TSO super-packet, TCPv6, UDP (USO), NEEDS_CSUM only
payload = bytes(range(256)) * 12
sp4 = ip4(SRC4, DST4, 6, tcp(40000, 80, 5000, 99, 0x18, payload,
                             b"\x01\x01\x08\x0a" + bytes(8)))
sp6 = ip6(SRC6, DST6, 6, tcp(40000, 80, 5000, 99, 0x10, payload))
su = ip4(SRC4, DST4, 17, udp(1111, 2222, payload))
one = ip4(SRC4, DST4, 17, udp(1111, 2222, b"single"))
write("gso-tcp4.bin", bytes([0]) +
      pkt(3, 1500 - 68, vnet(1, 1, 52, 1388, 20, 16) + sp4))
write("gso-tcp6.bin", bytes([0]) +
      pkt(3, 1500 - 68, vnet(1, 4, 60, 1440, 40, 16) + sp6))
write("gso-udp.bin", bytes([0]) +
      pkt(3, 1500 - 68, vnet(1, 5, 28, 1200, 20, 6) + su))
write("csum-none.bin", bytes([0]) +
      pkt(3, 1500 - 68, vnet(1, 0, 0, 0, 20, 6) + one))
