#!/usr/bin/env python3
"""Generate the known-answer vectors for the rekor-types crate (tests/data/vectors.json).

This script is an independent reimplementation of what upstream Rekor stores for each entry
kind, written from Rekor's Go sources, not from the Rust code under test:

* keys and signatures come from pyca/cryptography (deterministic ECDSA, RFC 6979), except
  Ed25519ph, which is implemented below from RFC 8032 and checked against RFC 8032 section 7.3;
* canonical bodies are json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False),
  which equals RFC 8785 for these ASCII-keyed, number-free objects;
* PEM is what cryptography writes (64-column lines, trailing newline), as Go's pem.Encode;
* index keys follow Rekor's IndexKeys() for each kind, lowercased and de-duplicated.

Everything is derived from fixed seeds, so running the script again reproduces the file byte
for byte:  python3 gen.py > vectors.json
"""

import base64
import datetime
import hashlib
import ipaddress
import json
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, utils
from cryptography.x509.oid import NameOID

# ---------------------------------------------------------------------------------------------
# Ed25519ph (RFC 8032 section 5.1), plain Python integers.

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = (-121665 * pow(121666, P - 2, P)) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def _recover_x(y, sign):
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P)
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P != 0:
        return None
    if (x & 1) != sign:
        x = P - x
    return x


G_Y = 4 * pow(5, P - 2, P) % P
G = (_recover_x(G_Y, 0), G_Y, 1, _recover_x(G_Y, 0) * G_Y % P)


def _add(p1, p2):
    a = (p1[1] - p1[0]) * (p2[1] - p2[0]) % P
    b = (p1[1] + p1[0]) * (p2[1] + p2[0]) % P
    c = 2 * p1[3] * p2[3] * D % P
    d = 2 * p1[2] * p2[2] % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _mul(s, pt):
    q = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            q = _add(q, pt)
        pt = _add(pt, pt)
        s >>= 1
    return q


def _compress(pt):
    zinv = pow(pt[2], P - 2, P)
    x = pt[0] * zinv % P
    y = pt[1] * zinv % P
    return int.to_bytes(y | ((x & 1) << 255), 32, "little")


def _sha512_int(data):
    return int.from_bytes(hashlib.sha512(data).digest(), "little")


DOM2_PH = b"SigEd25519 no Ed25519 collisions" + bytes([1, 0])


def ed25519ph_sign(seed, message_digest):
    """Ed25519ph signature (empty context) over a SHA-512 digest PH(M)."""
    h = hashlib.sha512(seed).digest()
    a = int.from_bytes(h[:32], "little")
    a &= (1 << 254) - 8
    a |= 1 << 254
    prefix = h[32:]
    public = _compress(_mul(a, G))
    r = _sha512_int(DOM2_PH + prefix + message_digest) % L
    big_r = _compress(_mul(r, G))
    k = _sha512_int(DOM2_PH + big_r + public + message_digest) % L
    s = (r + k * a) % L
    return public, big_r + int.to_bytes(s, 32, "little")


# RFC 8032 section 7.3, test "abc".
_seed = bytes.fromhex("833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42")
_pub, _sig = ed25519ph_sign(_seed, hashlib.sha512(b"abc").digest())
assert _pub.hex() == "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf"
assert _sig.hex() == (
    "98a70222f0b8121aa9d30f813d683f809e462b469c7ff87639499bb94e6dae41"
    "31f85042463c2a355a2003d062adf5aaa10b8c61e636062aaad11c2a26083406"
)

# ---------------------------------------------------------------------------------------------
# Deterministic keys.


def _is_probable_prime(n):
    if n < 2:
        return False
    for p in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37):
        if n % p == 0:
            return n == p
    d, r = n - 1, 0
    while d % 2 == 0:
        d //= 2
        r += 1
    for a in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53):
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime_from(label, bits):
    counter = 0
    while True:
        stream = b""
        block = 0
        while len(stream) * 8 < bits:
            stream += hashlib.sha256(f"{label}/{counter}/{block}".encode()).digest()
            block += 1
        n = int.from_bytes(stream, "big") >> (len(stream) * 8 - bits)
        n |= (1 << (bits - 1)) | (1 << (bits - 2)) | 1
        if _is_probable_prime(n) and (n - 1) % 65537 != 0:
            return n
        counter += 1


def rsa_key(label, bits):
    e = 65537
    p = _prime_from(label + "/p", bits // 2)
    q = _prime_from(label + "/q", bits // 2)
    assert (p * q).bit_length() == bits
    d = pow(e, -1, (p - 1) * (q - 1))
    numbers = rsa.RSAPrivateNumbers(
        p, q, d, d % (p - 1), d % (q - 1), pow(q, -1, p), rsa.RSAPublicNumbers(e, p * q)
    )
    return numbers.private_key()


def ec_key(label, curve):
    order = {"P-256": ec.SECP256R1, "P-384": ec.SECP384R1, "P-521": ec.SECP521R1}[curve]
    scalar = int.from_bytes(hashlib.sha512(label.encode()).digest(), "big") % (2**250)
    return ec.derive_private_key(scalar, order())


def ed_seed(label):
    return hashlib.sha256(label.encode()).digest()


def pem_of(public_key):
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def b64(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.b64encode(data).decode()


def sha256_hex(data):
    if isinstance(data, str):
        data = data.encode()
    return hashlib.sha256(data).hexdigest()


def rewrap(pem, width, newline="\n", trailing=True):
    """The same PEM with other line widths / endings (what some clients send)."""
    lines = pem.strip().split("\n")
    body = "".join(lines[1:-1])
    wrapped = [body[i : i + width] for i in range(0, len(body), width)]
    text = newline.join([lines[0], *wrapped, lines[-1]])
    return text + (newline if trailing else "")


P256 = ec_key("rekor-types/p256", "P-256")
P256_OTHER = ec_key("rekor-types/p256-other", "P-256")
P384 = ec_key("rekor-types/p384", "P-384")
P521 = ec_key("rekor-types/p521", "P-521")
RSA2048 = rsa_key("rekor-types/rsa2048", 2048)
RSA1024 = rsa_key("rekor-types/rsa1024", 1024)
ED_SEED = ed_seed("rekor-types/ed25519")
ED = ed25519.Ed25519PrivateKey.from_private_bytes(ED_SEED)
CA = ec_key("rekor-types/ca", "P-256")

OTHERNAME_OID = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.7")


def leaf_certificate():
    """A Fulcio-like leaf: empty subject, SANs of every kind Rekor indexes."""
    other_value = "https://github.com/Example/Repo/.github/workflows/Release.yml@refs/heads/main"
    encoded = other_value.encode()
    der_utf8 = bytes([0x0C, len(encoded)]) + encoded
    sans = [
        x509.DNSName("builder.Example.com"),
        x509.RFC822Name("Alice@Example.com"),
        x509.IPAddress(ipaddress.ip_address("192.0.2.7")),
        x509.IPAddress(ipaddress.ip_address("2001:db8::1")),
        x509.UniformResourceIdentifier("https://Example.com/Workflow"),
        x509.OtherName(OTHERNAME_OID, der_utf8),
    ]
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "rekor-types test CA")])
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([]))
        .issuer_name(issuer)
        .public_key(P256.public_key())
        .serial_number(0x1234567890ABCDEF)
        .not_valid_before(datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc))
        .not_valid_after(datetime.datetime(2025, 1, 1, 0, 10, tzinfo=datetime.timezone.utc))
        .add_extension(x509.SubjectAlternativeName(sans), critical=True)
    )
    cert = builder.sign(CA, hashes.SHA256(), ecdsa_deterministic=True)
    sans_expected = [
        "builder.Example.com",
        "Alice@Example.com",
        "192.0.2.7",
        "2001:db8::1",
        "https://Example.com/Workflow",
        other_value,
    ]
    return cert.public_bytes(serialization.Encoding.PEM).decode(), sans_expected


CERT_PEM, CERT_SANS = leaf_certificate()

# ---------------------------------------------------------------------------------------------
# Signing helpers.


def sign_digest(key, alg, digest):
    h = {"sha256": hashes.SHA256(), "sha384": hashes.SHA384(), "sha512": hashes.SHA512()}[alg]
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(digest, ec.ECDSA(utils.Prehashed(h), deterministic_signing=True))
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(digest, padding.PKCS1v15(), utils.Prehashed(h))
    raise ValueError(key)


def sign_message_sha256(key, message):
    """How Rekor verifies DSSE/intoto signatures: SHA-256 for ECDSA (any curve) and RSA."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(message, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(message)
    raise ValueError(key)


def pae(payload_type, payload):
    t = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def leaf_uuid(body):
    return hashlib.sha256(b"\x00" + body.encode()).hexdigest()


def normalize_keys(keys):
    out = []
    for k in keys:
        k = k.lower()
        if k not in out:
            out.append(k)
    return out


def pem_hash(pem):
    return sha256_hex(pem)


IN_TOTO = "application/vnd.in-toto+json"


def statement(subjects, materials=None):
    st = {
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": "https://slsa.dev/provenance/v0.2",
        "subject": [{"name": n, "digest": d} for n, d in subjects],
        "predicate": {"builder": {"id": "https://example.com/builder"}, "buildType": "x"},
    }
    if materials:
        st["predicate"]["materials"] = [{"uri": u, "digest": d} for u, d in materials]
    return json.dumps(st).encode()


def statement_keys(subjects, materials=None):
    keys = []
    for _, d in subjects:
        keys += [f"{a}:{d[a]}" for a in sorted(d)]
    for _, d in materials or []:
        keys += [f"{a}:{d[a]}" for a in sorted(d)]
    return keys


# ---------------------------------------------------------------------------------------------
# Cases.

cases = []
rejections = []


def add_case(name, proposed, api_version, kind, spec, index_keys):
    body = canonical({"apiVersion": api_version, "kind": kind, "spec": spec})
    cases.append(
        {
            "name": name,
            "proposed": canonical(proposed) if not isinstance(proposed, str) else proposed,
            "kind": kind,
            "api_version": api_version,
            "body": body,
            "uuid": leaf_uuid(body),
            "index_keys": normalize_keys(index_keys),
        }
    )


def hashedrekord(name, key, submitted_pem, canonical_pem, alg, digest, sans=(), sig=None,
                 value=None):
    sig = sig if sig is not None else sign_digest(key, alg, digest)
    value = value if value is not None else digest.hex()
    proposed = {
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "signature": {"content": b64(sig), "publicKey": {"content": b64(submitted_pem)}},
            "data": {"hash": {"algorithm": alg, "value": value}},
        },
    }
    spec = {
        "data": {"hash": {"algorithm": alg, "value": value}},
        "signature": {"content": b64(sig), "publicKey": {"content": b64(canonical_pem)}},
    }
    keys = [pem_hash(canonical_pem), *sans, f"{alg}:{value}"]
    add_case(name, proposed, "0.0.1", "hashedrekord", spec, keys)
    return proposed


artifact = b"hello, rekor-types\n"
d256 = hashlib.sha256(artifact).digest()
d384 = hashlib.sha384(artifact).digest()
d512 = hashlib.sha512(artifact).digest()

p256_pem = pem_of(P256.public_key())
hashedrekord("hashedrekord-p256-key-crlf-76col", P256, rewrap(p256_pem, 76, "\r\n"), p256_pem,
             "sha256", d256)
hashedrekord("hashedrekord-p256-cert-no-trailing-newline", P256, CERT_PEM.rstrip("\n"), CERT_PEM,
             "sha256", d256, sans=CERT_SANS)
hashedrekord("hashedrekord-p384-key-uppercase-digest", P384, pem_of(P384.public_key()),
             pem_of(P384.public_key()), "sha384", d384, value=d384.hex().upper())
hashedrekord("hashedrekord-rsa2048-key", RSA2048, pem_of(RSA2048.public_key()),
             pem_of(RSA2048.public_key()), "sha256", d256)
ed_pub_raw, ed_ph_sig = ed25519ph_sign(ED_SEED, d512)
assert ed_pub_raw == ED.public_key().public_bytes(serialization.Encoding.Raw,
                                                  serialization.PublicFormat.Raw)
ed_pem = pem_of(ED.public_key())
hashedrekord("hashedrekord-ed25519ph-key", None, ed_pem, ed_pem, "sha512", d512, sig=ed_ph_sig)


def reject(name, proposed, error):
    rejections.append({"name": name, "proposed": canonical(proposed), "error": error})


def hr_proposal(key_pem, alg, value, sig):
    return {
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "signature": {"content": b64(sig), "publicKey": {"content": b64(key_pem)}},
            "data": {"hash": {"algorithm": alg, "value": value}},
        },
    }


# Valid signatures whose key/digest combination upstream's default allow-list refuses.
reject("hashedrekord-p256-with-sha384", hr_proposal(p256_pem, "sha384", d384.hex(),
       sign_digest(P256, "sha384", d384)), "AlgorithmNotPermitted")
reject("hashedrekord-ed25519-with-sha256", hr_proposal(ed_pem, "sha256", d256.hex(),
       ED.sign(d256)), "AlgorithmNotPermitted")
reject("hashedrekord-ed25519-pure-signature-over-sha512", hr_proposal(ed_pem, "sha512",
       d512.hex(), ED.sign(d512)), "SignatureMismatch")
reject("hashedrekord-rsa1024", hr_proposal(pem_of(RSA1024.public_key()), "sha256", d256.hex(),
       sign_digest(RSA1024, "sha256", d256)), "InvalidPublicKey")
reject("hashedrekord-p521", hr_proposal(pem_of(P521.public_key()), "sha512", d512.hex(),
       sign_digest(P521, "sha512", d512)), "InvalidPublicKey")
reject("hashedrekord-wrong-key", hr_proposal(pem_of(P256_OTHER.public_key()), "sha256",
       d256.hex(), sign_digest(P256, "sha256", d256)), "SignatureMismatch")

# --- dsse 0.0.1 ---------------------------------------------------------------------------


def dsse_case(name, payload_type, payload, signers, verifier_pems, canonical_by_sig,
              st_keys=(), envelope_text=None):
    sigs = []
    for key in signers:
        sigs.append({"keyid": "", "sig": b64(sign_message_sha256(key, pae(payload_type, payload)))})
    envelope = {"payloadType": payload_type, "payload": b64(payload), "signatures": sigs}
    envelope_text = envelope_text or json.dumps(envelope)
    proposed = {
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {"proposedContent": {"envelope": envelope_text,
                                     "verifiers": [b64(p) for p in verifier_pems]}},
    }
    stored = sorted(
        ({"signature": s["sig"], "verifier": b64(canonical_by_sig[i])} for i, s in enumerate(sigs)),
        key=lambda item: item["signature"],
    )
    payload_hash = sha256_hex(payload)
    envelope_hash = sha256_hex(envelope_text)
    spec = {
        "envelopeHash": {"algorithm": "sha256", "value": envelope_hash},
        "payloadHash": {"algorithm": "sha256", "value": payload_hash},
        "signatures": stored,
    }
    keys = []
    for item in stored:
        pem = base64.b64decode(item["verifier"]).decode()
        keys.append("sha256:" + pem_hash(pem))
        if pem == CERT_PEM:
            keys += CERT_SANS
    keys += ["sha256:" + payload_hash, "sha256:" + envelope_hash, *st_keys]
    add_case(name, proposed, "0.0.1", "dsse", spec, keys)
    return proposed


subjects = [("artifact.tar.gz", {"sha256": sha256_hex(artifact), "sha512": hashlib.sha512(artifact).hexdigest()})]
materials = [("git+https://example.com/repo", {"sha1": "a" * 40})]
st = statement(subjects, materials)
dsse_case("dsse-p256-cert-in-toto", IN_TOTO, st, [P256], [CERT_PEM.replace("\n", "\r\n")],
          [CERT_PEM], statement_keys(subjects, materials))
# Two signatures (P-384 verified with SHA-256, and Ed25519); a third "verifier" that is not
# even PEM is never looked at because every signature is verified before it is reached.
dsse_case("dsse-p384-ed25519-extra-verifier-skipped", "text/plain", b"plain payload",
          [P384, ED], [pem_of(P384.public_key()), ed_pem, "not a key"],
          [pem_of(P384.public_key()), ed_pem])
dsse_case("dsse-rsa2048-empty-payload-type", "", b"{}", [RSA2048],
          [pem_of(RSA2048.public_key())], [pem_of(RSA2048.public_key())])

# --- intoto 0.0.2 -------------------------------------------------------------------------


def intoto2_case(name, payload, sig_specs, client_hash):
    """sig_specs: list of (key, submitted_pem, canonical_pem, keyid, sans)."""
    payload_type = IN_TOTO
    signatures = []
    stored = []
    keys = []
    for key, submitted, canon, keyid, sans in sig_specs:
        sig_b64 = b64(sign_message_sha256(key, pae(payload_type, payload)))
        item = {"sig": b64(sig_b64), "publicKey": b64(submitted)}
        out = {"sig": b64(sig_b64), "publicKey": b64(canon)}
        if keyid is not None:
            item["keyid"] = keyid
        if keyid:
            out["keyid"] = keyid
        signatures.append(item)
        stored.append(out)
        keys += ["sha256:" + pem_hash(canon), *sans]
    payload_hash = sha256_hex(payload)
    proposed = {
        "apiVersion": "0.0.2",
        "kind": "intoto",
        "spec": {"content": {
            "envelope": {"payloadType": payload_type, "payload": b64(b64(payload)),
                         "signatures": signatures},
            "hash": {"algorithm": "sha256", "value": client_hash},
            "payloadHash": {"algorithm": "sha256", "value": payload_hash},
        }},
    }
    spec = {"content": {
        "envelope": {"payloadType": payload_type, "signatures": stored},
        "hash": {"algorithm": "sha256", "value": client_hash},
        "payloadHash": {"algorithm": "sha256", "value": payload_hash},
    }}
    keys += ["sha256:" + payload_hash, *statement_keys(subjects)]
    add_case(name, proposed, "0.0.2", "intoto", spec, keys)


st2 = statement(subjects)
intoto2_case("intoto-0.0.2-p256-cert-pem-normalized", st2,
             [(P256, CERT_PEM.rstrip("\n"), CERT_PEM, "", CERT_SANS)], sha256_hex(b"client hash"))
intoto2_case("intoto-0.0.2-two-keys-keyid", st2,
             [(P384, pem_of(P384.public_key()), pem_of(P384.public_key()), "key-1", []),
              (ED, ed_pem, ed_pem, None, [])], sha256_hex(b"another client hash"))

# --- intoto 0.0.1 -------------------------------------------------------------------------

env1 = {"payloadType": IN_TOTO, "payload": b64(st2),
        "signatures": [{"keyid": "", "sig": b64(sign_message_sha256(P256, pae(IN_TOTO, st2)))}]}
env1_text = json.dumps(env1, indent=1)
payload_hash = sha256_hex(st2)
proposed = {"apiVersion": "0.0.1", "kind": "intoto",
            "spec": {"content": {"envelope": env1_text}, "publicKey": b64(rewrap(p256_pem, 40))}}
spec = {"content": {"hash": {"algorithm": "sha256", "value": sha256_hex(env1_text)},
                    "payloadHash": {"algorithm": "sha256", "value": payload_hash}},
        "publicKey": b64(p256_pem)}
add_case("intoto-0.0.1-p256-key", proposed, "0.0.1", "intoto", spec,
         ["sha256:" + sha256_hex(env1_text), "sha256:" + pem_hash(p256_pem),
          "sha256:" + payload_hash, *statement_keys(subjects)])

# --- Keys for tests that swap keys in -----------------------------------------------------

extra_keys = {
    "p256": p256_pem,
    "p256_other": pem_of(P256_OTHER.public_key()),
    "p384": pem_of(P384.public_key()),
    "ed25519": ed_pem,
    "rsa2048": pem_of(RSA2048.public_key()),
    "certificate": CERT_PEM,
    "certificate_sans": CERT_SANS,
}

# --- SET payload --------------------------------------------------------------------------

set_cases = []
for body_b64, t, log_id, idx in [
    (b64(cases[0]["body"]), 1710869186, sha256_hex(b"log key"), 79571823),
    ("", 0, "", 0),
    ("a+/=", -1, "ABC", 9007199254740992),
]:
    set_cases.append({
        "body": body_b64, "integrated_time": t, "log_id": log_id, "log_index": idx,
        "payload": canonical({"body": body_b64, "integratedTime": t, "logID": log_id,
                              "logIndex": idx}),
    })

# --- RFC 8785 cross-check inputs -------------------------------------------------------------
# An independent JCS in Python: UTF-16 key order, RFC 8785 string escapes, and ECMAScript
# number formatting from Python's shortest round-trip repr (which rounds ties to even).


def es6_number(x):
    if x == 0:
        return "0"
    if x < 0:
        return "-" + es6_number(-x)
    if float(x).is_integer() and abs(x) < 2**53 and isinstance(x, int):
        return str(x)
    r = repr(float(x))
    mantissa, _, exp = r.partition("e")
    exp = int(exp) if exp else 0
    if "." in mantissa:
        int_part, frac = mantissa.split(".")
    else:
        int_part, frac = mantissa, ""
    digits = (int_part + frac).lstrip("0")
    point = len(int_part) + exp  # position of the decimal point relative to int_part digits
    lead_zeros = len(int_part + frac) - len((int_part + frac).lstrip("0"))
    n = point - lead_zeros
    digits = digits.rstrip("0") or "0"
    k = len(digits)
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return "0." + "0" * (-n) + digits
    e = n - 1
    sign = "+" if e >= 0 else "-"
    if k == 1:
        return f"{digits}e{sign}{abs(e)}"
    return f"{digits[0]}.{digits[1:]}e{sign}{abs(e)}"


def es6_string(s):
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\b":
            out.append("\\b")
        elif ch == "\f":
            out.append("\\f")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif o < 0x20:
            out.append("\\u%04x" % o)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def jcs(v):
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, (int, float)):
        return es6_number(v)
    if isinstance(v, str):
        return es6_string(v)
    if isinstance(v, list):
        return "[" + ",".join(jcs(x) for x in v) + "]"
    keys = sorted(v, key=lambda k: k.encode("utf-16-be"))
    return "{" + ",".join(es6_string(k) + ":" + jcs(v[k]) for k in keys) + "}"


RFC8785_3_2_2_IN = (
    '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],'
    ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",'
    ' "literals": [null, true, false]}'
)
RFC8785_3_2_2_OUT = (
    '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
    '"string":"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
)
RFC8785_3_2_3_IN = (
    '{"\\u20ac": "Euro Sign", "\\r": "Carriage Return", "\\ufb33": "Hebrew Letter Dalet With'
    ' Dagesh", "1": "One", "\\ud83d\\ude00": "Emoji: Grinning Face", "\\u0080": "Control",'
    ' "\\u00f6": "Latin Small Letter O With Diaeresis"}'
)
assert jcs(json.loads(RFC8785_3_2_2_IN)) == RFC8785_3_2_2_OUT, jcs(json.loads(RFC8785_3_2_2_IN))
assert [k for k in json.loads(jcs(json.loads(RFC8785_3_2_3_IN)))] == [
    "\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001F600", "\ufb33"
]

jcs_inputs = [
    RFC8785_3_2_2_IN,
    RFC8785_3_2_3_IN,
    '{"b":[1,-2,3.25,-0.0,1e21,1e-7,123456789012345678901234567890,9007199254740993],'
    '"a":{"z":"\\u0000\\u001f\\u007f\\u2028</script>&","y":[{},[],""]},"":true}',
    '[0.1, 0.2, 0.30000000000000004, 5e-324, 1.7976931348623157e308, -1.5e-9, 100, 1e2]',
    '{"\\ud800\\udc00":1,"\\uffff":2,"\\ue000":3,"A":4,"a":5,"aa":6,"\\u00e9":7}',
]
jcs_cases = [{"input": i, "output": jcs(json.loads(i))} for i in jcs_inputs]

json.dump(
    {
        "generator": "tests/data/gen.py",
        "cases": cases,
        "rejections": rejections,
        "keys": extra_keys,
        "set_payloads": set_cases,
        "jcs": jcs_cases,
    },
    sys.stdout,
    indent=1,
    ensure_ascii=False,
    sort_keys=True,
)
sys.stdout.write("\n")
