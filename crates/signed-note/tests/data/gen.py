#!/usr/bin/env python3
"""Generate the signed-note test data with an implementation independent of the Rust code.

Uses only the Python standard library and the `cryptography` package (pip install cryptography).
Run from anywhere:  python3 crates/signed-note/tests/data/gen.py

Keys are derived from fixed labels, so re-running reproduces the same keys, key IDs and Ed25519
signatures (Ed25519 is deterministic). ECDSA signatures use a random nonce and the RSA key is
random, so those bytes change on every run; the Rust tests only verify them.

The formats follow C2SP signed-note, tlog-checkpoint and tlog-cosignature, and the key-ID rules
of rekor-tiles (pkg/note/note.go) and Rekor v1 (pkg/util/signed_note.go), written out here from
the specs rather than from the Rust code under test.
"""

import base64
import hashlib
import json
import os

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

HERE = os.path.dirname(os.path.abspath(__file__))

P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551

LOG_ED25519_NAME = "log.cairn.test"
LOG_ECDSA_NAME = "ecdsa-log.cairn.test"
WITNESS_NAME = "witness.cairn.test/w1"
REKOR_V1_HOST = "rekor.cairn.test"
REKOR_V1_TREE_ID = 8050909264565447525
RSA_NAME = "rsa-log.cairn.test"
COSIGNATURE_TIME = 1700000000


def seed(label: str) -> bytes:
    return hashlib.sha256(b"cairn signed-note test key: " + label.encode()).digest()


def ed25519_key(label: str) -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.from_private_bytes(seed(label))


def p256_key(label: str) -> ec.EllipticCurvePrivateKey:
    d = int.from_bytes(seed(label), "big") % (P256_ORDER - 1) + 1
    return ec.derive_private_key(d, ec.SECP256R1())


def spki_der(public_key) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def spki_pem(public_key) -> str:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def pkcs8_pem(private_key) -> str:
    return private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def ed25519_raw(public_key) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def name_bound_hash(name: str, sig_type: bytes, key: bytes) -> bytes:
    # signed-note: SHA-256(key name || 0x0A || signature type || public key)
    return sha256(name.encode() + b"\n" + sig_type + key)


def b64(data: bytes) -> str:
    return base64.standard_b64encode(data).decode()


def signature_line(name: str, key_id: bytes, signature: bytes) -> str:
    assert len(key_id) == 4
    return "\u2014 " + name + " " + b64(key_id + signature) + "\n"


def checkpoint_text(origin: str, size: int, root: bytes, extensions=()) -> str:
    return origin + "\n" + str(size) + "\n" + b64(root) + "\n" + "".join(e + "\n" for e in extensions)


def write(name: str, content: str) -> None:
    with open(os.path.join(HERE, name), "w", encoding="utf-8", newline="\n") as f:
        f.write(content)


def main() -> None:
    log_ed = ed25519_key("log ed25519")
    witness = ed25519_key("witness ed25519")
    log_p256 = p256_key("log p256")
    log_rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    log_ed_raw = ed25519_raw(log_ed.public_key())
    witness_raw = ed25519_raw(witness.public_key())

    log_ed_c2sp_hash = name_bound_hash(LOG_ED25519_NAME, b"\x01", log_ed_raw)
    witness_hash = name_bound_hash(WITNESS_NAME, b"\x04", witness_raw)
    p256_hash = sha256(spki_der(log_p256.public_key()))
    rsa_spki = spki_der(log_rsa.public_key())
    rsa_c2sp_hash = name_bound_hash(RSA_NAME, b"\xff" + b"PKIX-RSA-PKCS#1v1.5", rsa_spki)

    keys = {
        "log_ed25519": {
            "name": LOG_ED25519_NAME,
            "spki_pem": spki_pem(log_ed.public_key()),
            "pkcs8_pem": pkcs8_pem(log_ed),
            "raw_hex": log_ed_raw.hex(),
            "c2sp_key_hash_hex": log_ed_c2sp_hash.hex(),
            "c2sp_key_id_hex": log_ed_c2sp_hash[:4].hex(),
            "rekor_v1_key_id_hex": sha256(spki_der(log_ed.public_key()))[:4].hex(),
            "vkey": "%s+%s+%s" % (LOG_ED25519_NAME, log_ed_c2sp_hash[:4].hex(), b64(b"\x01" + log_ed_raw)),
        },
        "witness_ed25519": {
            "name": WITNESS_NAME,
            "spki_pem": spki_pem(witness.public_key()),
            "pkcs8_pem": pkcs8_pem(witness),
            "raw_hex": witness_raw.hex(),
            "cosignature_key_id_hex": witness_hash[:4].hex(),
            "vkey": "%s+%s+%s" % (WITNESS_NAME, witness_hash[:4].hex(), b64(b"\x04" + witness_raw)),
        },
        "log_p256": {
            "name": LOG_ECDSA_NAME,
            "rekor_v1_name": REKOR_V1_HOST,
            "spki_pem": spki_pem(log_p256.public_key()),
            "pkcs8_pem": pkcs8_pem(log_p256),
            "spki_sha256_hex": p256_hash.hex(),
            "key_id_hex": p256_hash[:4].hex(),
        },
        "log_rsa": {
            "name": RSA_NAME,
            "spki_pem": spki_pem(log_rsa.public_key()),
            "c2sp_key_hash_hex": rsa_c2sp_hash.hex(),
            "c2sp_key_id_hex": rsa_c2sp_hash[:4].hex(),
            "rekor_v1_key_id_hex": sha256(rsa_spki)[:4].hex(),
        },
    }
    write("keys.json", json.dumps(keys, indent=2) + "\n")

    # Rekor v1 flavour: origin "<host> - <tree ID>", line named after the host, ECDSA P-256
    # over SHA-256 of the text, key hint SHA-256(SPKI)[:4].
    v1_text = checkpoint_text(
        "%s - %d" % (REKOR_V1_HOST, REKOR_V1_TREE_ID), 1234, sha256(b"cairn rekor v1 test tree")
    )
    v1_sig = log_p256.sign(v1_text.encode(), ec.ECDSA(hashes.SHA256()))
    write("rekor-v1-checkpoint.txt", v1_text + "\n" + signature_line(REKOR_V1_HOST, p256_hash[:4], v1_sig))

    # C2SP flavour with Ed25519: name-bound key ID; plus a witness cosignature (type 0x04).
    c2sp_text = checkpoint_text(LOG_ED25519_NAME, 4711, sha256(b"cairn c2sp test tree"))
    c2sp_sig = log_ed.sign(c2sp_text.encode())
    cosigned = ("cosignature/v1\ntime %d\n" % COSIGNATURE_TIME).encode() + c2sp_text.encode()
    cosig = COSIGNATURE_TIME.to_bytes(8, "big") + witness.sign(cosigned)
    write(
        "c2sp-ed25519-checkpoint.txt",
        c2sp_text
        + "\n"
        + signature_line(LOG_ED25519_NAME, log_ed_c2sp_hash[:4], c2sp_sig)
        + signature_line(WITNESS_NAME, witness_hash[:4], cosig),
    )

    # C2SP flavour with ECDSA P-256 (rekor-tiles: key ID = SHA-256(SPKI)[:4]) and an
    # extension line that verifiers must tolerate.
    ecdsa_text = checkpoint_text(
        LOG_ECDSA_NAME, 0, sha256(b""), extensions=["cairn-test-extension 42"]
    )
    ecdsa_sig = log_p256.sign(ecdsa_text.encode(), ec.ECDSA(hashes.SHA256()))
    write(
        "c2sp-ecdsa-checkpoint.txt",
        ecdsa_text + "\n" + signature_line(LOG_ECDSA_NAME, p256_hash[:4], ecdsa_sig),
    )


if __name__ == "__main__":
    main()
