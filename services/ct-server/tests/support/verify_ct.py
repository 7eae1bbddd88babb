"""Check what the CT log returned, independently of the Rust code under test.

Usage:
  verify_ct.py sct-precert RESPONSE.json LOGKEY.pem PRECERT.der ISSUER.der ISSUER_KEY.pem OUTDIR
  verify_ct.py sct-x509    RESPONSE.json LOGKEY.pem CERT.der OUTDIR
  verify_ct.py sth         RESPONSE.json LOGKEY.pem OUTDIR

sct-precert does what Fulcio does after add-pre-chain: it builds the final certificate from
the precertificate (same fields, poison replaced by the SCT-list extension carrying the
returned SCT) and signs it with the issuer key; then it lets `cryptography` parse the SCT
back out of that certificate, rebuilds the RFC 6962 signed input from the final
certificate's `tbs_precertificate_bytes` and the issuer's SPKI, and verifies the log's
signature. Every mode writes the signed input to OUTDIR/input.bin and the DER signature to
OUTDIR/sig.der (for `openssl dgst`), verifies it with `cryptography`, and prints "ok".
"""

import base64
import hashlib
import json
import struct
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.certificate_transparency import LogEntryType
from cryptography.x509.oid import ObjectIdentifier

SCT_LIST = ObjectIdentifier("1.3.6.1.4.1.11129.2.4.2")
POISON = ObjectIdentifier("1.3.6.1.4.1.11129.2.4.3")


def read(path):
    with open(path, "rb") as f:
        return f.read()


def u16(n):
    return struct.pack("!H", n)


def u24(n):
    assert n < 1 << 24
    return struct.pack("!I", n)[1:]


def der_length(n):
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def digitally_signed(blob):
    hash_alg, sig_alg, length = blob[0], blob[1], struct.unpack("!H", blob[2:4])[0]
    assert hash_alg == 4, f"hash algorithm {hash_alg} is not sha256"
    assert sig_alg == 3, f"signature algorithm {sig_alg} is not ecdsa"
    assert len(blob) == 4 + length, "trailing bytes after the signature"
    return blob[4:]


def finish(log_key, signed_input, signature, outdir):
    with open(f"{outdir}/input.bin", "wb") as f:
        f.write(signed_input)
    with open(f"{outdir}/sig.der", "wb") as f:
        f.write(signature)
    log_key.verify(signature, signed_input, ec.ECDSA(hashes.SHA256()))
    print("ok")


def sct_fields(response, log_key):
    assert response["sct_version"] == 0
    log_id = base64.b64decode(response["id"])
    spki = log_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert log_id == hashlib.sha256(spki).digest(), "log id is not SHA-256 of the log key SPKI"
    extensions = base64.b64decode(response["extensions"])
    assert extensions == b"", "RFC 6962 SCTs from this log carry no extensions"
    return log_id, response["timestamp"], extensions, base64.b64decode(response["signature"])


def sct_precert(response, log_key, precert_path, issuer_path, issuer_key_path, outdir):
    log_id, timestamp, extensions, signature = sct_fields(response, log_key)
    precert = x509.load_der_x509_certificate(read(precert_path))
    issuer = x509.load_der_x509_certificate(read(issuer_path))
    issuer_key = serialization.load_pem_private_key(read(issuer_key_path), None)

    sct = b"\x00" + log_id + struct.pack("!Q", timestamp) + u16(len(extensions)) + extensions + signature
    sct_list = u16(len(sct) + 2) + u16(len(sct)) + sct
    value = b"\x04" + der_length(len(sct_list)) + sct_list
    builder = (
        x509.CertificateBuilder()
        .subject_name(precert.subject)
        .issuer_name(precert.issuer)
        .public_key(precert.public_key())
        .serial_number(precert.serial_number)
        .not_valid_before(precert.not_valid_before_utc)
        .not_valid_after(precert.not_valid_after_utc)
    )
    for ext in precert.extensions:
        if ext.oid != POISON:
            builder = builder.add_extension(ext.value, ext.critical)
    builder = builder.add_extension(x509.UnrecognizedExtension(SCT_LIST, value), critical=False)
    final = builder.sign(issuer_key, hashes.SHA384())

    scts = final.extensions.get_extension_for_class(
        x509.PrecertificateSignedCertificateTimestamps
    ).value
    assert len(scts) == 1
    parsed = scts[0]
    assert parsed.entry_type == LogEntryType.PRE_CERTIFICATE
    assert parsed.log_id == log_id
    assert isinstance(parsed.signature_hash_algorithm, hashes.SHA256)
    assert parsed.extension_bytes == b""

    issuer_key_hash = hashlib.sha256(
        issuer.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    ).digest()
    tbs = final.tbs_precertificate_bytes
    signed_input = (
        b"\x00\x00"
        + struct.pack("!QH", timestamp, 1)
        + issuer_key_hash
        + u24(len(tbs))
        + tbs
        + u16(len(extensions))
        + extensions
    )
    finish(log_key, signed_input, parsed.signature, outdir)


def sct_x509(response, log_key, cert_path, outdir):
    log_id, timestamp, extensions, signature = sct_fields(response, log_key)
    cert = read(cert_path)
    signed_input = (
        b"\x00\x00"
        + struct.pack("!QH", timestamp, 0)
        + u24(len(cert))
        + cert
        + u16(len(extensions))
        + extensions
    )
    finish(log_key, signed_input, digitally_signed(signature), outdir)


def sth(response, log_key, outdir):
    root = base64.b64decode(response["sha256_root_hash"])
    assert len(root) == 32
    signed_input = b"\x00\x01" + struct.pack("!QQ", response["timestamp"], response["tree_size"]) + root
    signature = digitally_signed(base64.b64decode(response["tree_head_signature"]))
    finish(log_key, signed_input, signature, outdir)


mode = sys.argv[1]
response = json.loads(read(sys.argv[2]))
log_key = serialization.load_pem_public_key(read(sys.argv[3]))
if mode == "sct-precert":
    sct_precert(response, log_key, *sys.argv[4:8])
elif mode == "sct-x509":
    sct_x509(response, log_key, sys.argv[4], sys.argv[5])
elif mode == "sth":
    sth(response, log_key, sys.argv[4])
else:
    raise SystemExit(f"unknown mode {mode}")
