#!/usr/bin/env python3
"""Write seed messages for fuzz_decode into tests/fuzz/seeds/fuzz_decode/.

Plain IKEv2 encodings (RFC 7296 section 3) built by hand, independent of
hike's encoder; encrypted exchanges carry their inner chain in the clear
after the SK header, the way ike_encode() leaves it before sk_seal().
"""
import os
import struct

def pl(t, body, crit=False):
    return (t, crit, body)

def chain(pls, last_next=0):
    out = b""
    for i, (t, crit, body) in enumerate(pls):
        nxt = pls[i + 1][0] if i + 1 < len(pls) else last_next
        out += struct.pack("!BBH", nxt, 0x80 if crit else 0, 4 + len(body)) + body
    return out

def msg(exch, flags, msgid, pls, sk=None, skf=None):
    body = chain(pls, 46 if sk is not None else (53 if skf else 0))
    first = pls[0][0] if pls else (46 if sk is not None else (53 if skf else 0))
    if sk is not None:
        inner = chain(sk)
        body += struct.pack("!BBH", sk[0][0] if sk else 0, 0, 4 + len(inner)) + inner
    if skf:
        num, total, first_in, data = skf
        body += struct.pack("!BBHHH", first_in, 0, 8 + len(data), num, total) + data
    hdr = struct.pack("!QQBBBBII", 0x0102030405060708, 0x1112131415161718 if exch != 34 else 0,
                      first, 0x20, exch, flags, msgid, 28 + len(body))
    return hdr + body

def transform(t, tid, keylen=None, last=False):
    attrs = struct.pack("!HH", 0x800E, keylen) if keylen else b""
    return struct.pack("!BBHBBH", 0 if last else 3, 0, 8 + len(attrs), t, 0, tid) + attrs

def proposal(num, proto, spi, trs, last=False):
    body = b"".join(transform(*t, last=(i == len(trs) - 1)) for i, t in enumerate(trs))
    return struct.pack("!BBHBBBB", 0 if last else 2, 0, 8 + len(spi) + len(body),
                       num, proto, len(spi), len(trs)) + spi + body

def ts4(a, b, proto=0):
    return struct.pack("!BBHHH", 7, proto, 16, 0, 65535) + bytes(a) + bytes(b)

def ts6(a, b):
    return struct.pack("!BBHHH", 8, 17, 40, 500, 4500) + bytes(a) + bytes(b)

def tspl(sels):
    return struct.pack("!B3x", len(sels)) + b"".join(sels)

def notify(ntype, data=b"", proto=0, spi=b""):
    return struct.pack("!BBH", proto, len(spi), ntype) + spi + data

sa_ike = (proposal(1, 1, b"", [(1, 20, 256), (2, 5), (4, 31)]) +
          proposal(2, 1, b"", [(1, 12, 128), (2, 2), (3, 12), (4, 14)], last=True))
sa_esp = proposal(1, 3, b"\xc0\x00\x00\x01", [(1, 20, 256), (5, 0)], last=True)
seeds = {
    "sa_init": msg(34, 0x08, 0, [pl(33, sa_ike), pl(34, struct.pack("!HH", 31, 0) + bytes(32)),
                                 pl(40, bytes(range(32))), pl(41, notify(16388, bytes(20))),
                                 pl(41, notify(16389, bytes(20))), pl(43, b"strongSwan"),
                                 pl(38, b"\x04" + bytes(20))]),
    "auth": msg(35, 0x08, 1, [], sk=[
        pl(35, b"\x02\x00\x00\x00peer.example.org"), pl(37, b"\x04" + bytes(40)),
        pl(36, b"\x01\x00\x00\x00\xc0\x00\x02\x0a"), pl(39, b"\x02\x00\x00\x00" + bytes(32)),
        pl(47, struct.pack("!B3xHHHH", 1, 1, 0, 3, 0)),
        pl(33, sa_esp), pl(44, tspl([ts4([203, 0, 113, 128], [203, 0, 113, 255]),
                                     ts6([0x20, 1, 0xd, 0xb8] + [0] * 12, [0x20, 1, 0xd, 0xb8] + [255] * 12)])),
        pl(45, tspl([ts4([203, 0, 113, 0], [203, 0, 113, 127])])),
        pl(41, notify(16384)), pl(41, notify(16420))]),
    "child": msg(36, 0x08, 2, [], sk=[pl(41, notify(16393, proto=3, spi=b"\xc0\0\0\1")),
                                      pl(33, sa_esp), pl(40, bytes(32)),
                                      pl(34, struct.pack("!HH", 31, 0) + bytes(32)),
                                      pl(44, tspl([ts4([0] * 4, [255] * 4)])),
                                      pl(45, tspl([ts4([0] * 4, [255] * 4)]))]),
    "info_delete": msg(37, 0x20, 3, [], sk=[pl(42, struct.pack("!BBH", 3, 4, 2) + b"\xc0\0\0\1\xc0\0\0\2"),
                                            pl(42, struct.pack("!BBH", 1, 0, 0))]),
    "info_empty": msg(37, 0x08, 4, [], sk=[]),
    "eap": msg(35, 0x08, 2, [], sk=[pl(48, b"\x02\x07\x00\x09\x01user")]),
    "skf": msg(35, 0x08, 1, [], skf=(1, 3, 35, bytes(64))),
    "unknown": msg(34, 0x08, 0, [pl(200, b"abcd"), pl(40, bytes(16))]),
}
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fuzz_decode")
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out, name + ".bin"), "wb") as f:
        f.write(data)
