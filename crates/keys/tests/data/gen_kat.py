#!/usr/bin/env python3
"""Generate the independent known-answer vectors for the `keys` crate with pyca/cryptography.

Run from anywhere:  python3 crates/keys/tests/data/gen_kat.py
(needs `pip install cryptography`; written against cryptography 48).

It writes, next to this script:
  * <name>.pub.pem           SPKI `PUBLIC KEY` for every key
  * <name>.pkcs8.pem         PKCS#8 `PRIVATE KEY` (EC and Ed25519 keys)
  * <name>.sec1.pem          SEC1 `EC PRIVATE KEY` (EC keys)
  * ed25519.pkcs8v2.pem      PKCS#8 v2 (RFC 5958 OneAsymmetricKey, with the public key) for the
                             same Ed25519 key, assembled by hand below since cryptography writes v1
  * p256-compressed.pub.der / p384-compressed.pub.der  SPKIs with compressed points (assembled by
                             hand), plus the uncompressed SPKI they must normalise to
  * rsa-1024.pub.pem         a too-small RSA key that must be rejected
  * kat.json                 the message, and signatures (hex) made here by cryptography/OpenSSL

Keys are random: every run produces new files. The Rust tests in ../kat.rs only check
relationships (signature verifies, flipped bit fails, loaded private key matches public key), so
they pass for any run of this script.

Second mode, for the other direction:  gen_kat.py verify < rust-signatures.json
verifies signatures made by the Rust SoftwareSigner (see the ignored test
`emit_rust_signatures_for_python` in ../kat.rs) and exits non-zero on any failure.
"""

import binascii
import hashlib
import json
import os
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

HERE = os.path.dirname(os.path.abspath(__file__))
MESSAGE = b"Cairn keys known-answer test message\n"

HASHES = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}


def write(name, data):
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(os.path.join(HERE, name), mode) as f:
        f.write(data)


def der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def tlv(tag, body):
    return bytes([tag]) + der_len(len(body)) + body


def pub_pem(key):
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def priv_pem(key, fmt):
    return key.private_bytes(
        serialization.Encoding.PEM, fmt, serialization.NoEncryption()
    ).decode()


def compressed_spki(key, curve_oid_der):
    point = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint
    )
    ec_public_key_oid = bytes.fromhex("06072a8648ce3d0201")
    alg = tlv(0x30, ec_public_key_oid + curve_oid_der)
    return tlv(0x30, alg + tlv(0x03, b"\x00" + point))


def generate():
    cases = []

    # ECDSA P-256 / P-384.
    ec_keys = {
        "p256": (ec.SECP256R1(), "sha256", bytes.fromhex("06082a8648ce3d030107")),
        "p384": (ec.SECP384R1(), "sha384", bytes.fromhex("06052b81040022")),
    }
    for name, (curve, hash_name, curve_oid) in ec_keys.items():
        key = ec.generate_private_key(curve)
        write(f"{name}.pub.pem", pub_pem(key))
        write(f"{name}.pkcs8.pem", priv_pem(key, serialization.PrivateFormat.PKCS8))
        write(f"{name}.sec1.pem", priv_pem(key, serialization.PrivateFormat.TraditionalOpenSSL))
        write(f"{name}-compressed.pub.der", compressed_spki(key, curve_oid))
        write(
            f"{name}-uncompressed.pub.der",
            key.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            ),
        )
        sig = key.sign(MESSAGE, ec.ECDSA(HASHES[hash_name]()))
        cases.append({"key": f"{name}.pub.pem", "scheme": f"ecdsa-{name}-{hash_name}",
                      "kind": "message", "signature_hex": sig.hex()})
        for prehash in ("sha256", "sha384", "sha512"):
            digest = hashlib.new(prehash, MESSAGE).digest()
            sig = key.sign(digest, ec.ECDSA(Prehashed(HASHES[prehash]())))
            cases.append({"key": f"{name}.pub.pem", "kind": "prehashed", "hash": prehash,
                          "digest_hex": digest.hex(), "signature_hex": sig.hex()})

    # Ed25519, PKCS#8 v1 from cryptography and v2 assembled here.
    key = ed25519.Ed25519PrivateKey.generate()
    write("ed25519.pub.pem", pub_pem(key))
    write("ed25519.pkcs8.pem", priv_pem(key, serialization.PrivateFormat.PKCS8))
    seed = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    raw_pub = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    v2 = tlv(
        0x30,
        tlv(0x02, b"\x01")
        + tlv(0x30, bytes.fromhex("06032b6570"))
        + tlv(0x04, tlv(0x04, seed))
        + tlv(0x81, b"\x00" + raw_pub),
    )
    # cryptography 48 and OpenSSL 3.0 cannot read v2 documents, so this one is checked only by its
    # layout (RFC 8410 §10.3 shows the same layout, plus attributes).
    assert v2[:16] == bytes.fromhex("3051020101300506032b657004220420")
    assert v2[48:51] == bytes.fromhex("812100") and v2[51:] == raw_pub
    b64 = binascii.b2a_base64(v2, newline=False).decode()
    lines = "\n".join(b64[i:i + 64] for i in range(0, len(b64), 64))
    write("ed25519.pkcs8v2.pem", f"-----BEGIN PRIVATE KEY-----\n{lines}\n-----END PRIVATE KEY-----\n")
    cases.append({"key": "ed25519.pub.pem", "scheme": "ed25519", "kind": "message",
                  "signature_hex": key.sign(MESSAGE).hex()})

    # RSA (verification only in Cairn).
    for bits in (2048, 3072):
        key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
        name = f"rsa-{bits}"
        write(f"{name}.pub.pem", pub_pem(key))
        for hash_name in ("sha256", "sha384", "sha512"):
            sig = key.sign(MESSAGE, padding.PKCS1v15(), HASHES[hash_name]())
            cases.append({"key": f"{name}.pub.pem", "scheme": f"rsa-pkcs1-{hash_name}",
                          "kind": "message", "signature_hex": sig.hex()})
            digest = hashlib.new(hash_name, MESSAGE).digest()
            sig = key.sign(digest, padding.PKCS1v15(), Prehashed(HASHES[hash_name]()))
            cases.append({"key": f"{name}.pub.pem", "kind": "prehashed", "hash": hash_name,
                          "digest_hex": digest.hex(), "signature_hex": sig.hex()})
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
        sig = key.sign(MESSAGE, pss, hashes.SHA256())
        cases.append({"key": f"{name}.pub.pem", "scheme": "rsa-pss-sha256",
                      "kind": "message", "signature_hex": sig.hex()})

    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    write("rsa-1024.pub.pem", pub_pem(small))

    write("kat.json", json.dumps({
        "generator": "crates/keys/tests/data/gen_kat.py (pyca/cryptography "
                     + __import__("cryptography").__version__ + ")",
        "message_hex": MESSAGE.hex(),
        "cases": cases,
    }, indent=1) + "\n")
    print(f"wrote {len(cases)} signature cases to {HERE}")


def verify_rust():
    """Verify signatures made by the Rust side: [{public_key_pem, algorithm, message_hex, signature_hex}]."""
    failures = 0
    items = json.load(sys.stdin)
    for item in items:
        key = serialization.load_pem_public_key(item["public_key_pem"].encode())
        message = bytes.fromhex(item["message_hex"])
        signature = bytes.fromhex(item["signature_hex"])
        try:
            if item["algorithm"] == "ed25519":
                key.verify(signature, message)
            else:
                hash_cls = {"ecdsa-p256": hashes.SHA256, "ecdsa-p384": hashes.SHA384}[item["algorithm"]]
                key.verify(signature, message, ec.ECDSA(hash_cls()))
            # The private key export must load and match the public key.
            private = serialization.load_pem_private_key(item["pkcs8_pem"].encode(), password=None)
            assert pub_pem(private) == item["public_key_pem"], "exported PKCS#8 does not match"
            print(f"ok   {item['algorithm']}")
        except (InvalidSignature, AssertionError) as e:
            failures += 1
            print(f"FAIL {item['algorithm']}: {e!r}")
    if failures or not items:
        sys.exit(1)


if __name__ == "__main__":
    if sys.argv[1:] == ["verify"]:
        verify_rust()
    else:
        generate()
