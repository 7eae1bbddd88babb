"""Build a small Fulcio-like PKI for the CT log tests with python `cryptography`.

Usage: gen_pki.py OUTDIR. Writes DER certificates and PEM keys into OUTDIR:
root (P-256, self-signed), inter (P-384 CA with EKU codeSigning, issued by root),
precert-N (Fulcio-like precertificates issued by inter, poison last), cert (a final
certificate without poison or SCTs, for add-chain), and certificates that a CT log
must refuse (serverAuth EKU, non-critical poison, chains to another root, a leaf
signed by the wrong key).
"""

import datetime
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

OUT = sys.argv[1]
NOW = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
POISON = ObjectIdentifier("1.3.6.1.4.1.11129.2.4.3")
SIGSTORE_ISSUER = ObjectIdentifier("1.3.6.1.4.1.57264.1.1")


def save(name, data):
    with open(f"{OUT}/{name}", "wb") as f:
        f.write(data)


def der(cert):
    return cert.public_bytes(serialization.Encoding.DER)


def save_key(name, key):
    save(
        name,
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )


def name(cn):
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "cairn-test"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def key_usage(cert_sign):
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def hash_for(key):
    return hashes.SHA384() if isinstance(key.curve, ec.SECP384R1) else hashes.SHA256()


def make_ca(cn, key, issuer_name, issuer_key, path_length, eku):
    builder = (
        x509.CertificateBuilder()
        .subject_name(name(cn))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - datetime.timedelta(hours=1))
        .not_valid_after(NOW + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(key_usage(True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if eku is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage(eku), critical=False)
    return builder.sign(issuer_key, hash_for(issuer_key))


def make_leaf(issuer, issuer_key, email, eku=ExtendedKeyUsageOID.CODE_SIGNING, poison="critical"):
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([]))
        .issuer_name(issuer.subject)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW)
        .not_valid_after(NOW + datetime.timedelta(minutes=10))
        .add_extension(key_usage(False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([eku]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
        .add_extension(x509.SubjectAlternativeName([x509.RFC822Name(email)]), critical=True)
        .add_extension(
            x509.UnrecognizedExtension(SIGSTORE_ISSUER, b"https://idp.example"), critical=False
        )
    )
    if poison == "critical":
        builder = builder.add_extension(x509.PrecertPoison(), critical=True)
    elif poison == "non-critical":
        builder = builder.add_extension(x509.UnrecognizedExtension(POISON, b"\x05\x00"), critical=False)
    return builder.sign(issuer_key, hash_for(issuer_key))


root_key = ec.generate_private_key(ec.SECP256R1())
root = make_ca("root", root_key, name("root"), root_key, None, None)
inter_key = ec.generate_private_key(ec.SECP384R1())
inter = make_ca("intermediate", inter_key, root.subject, root_key, 0, [ExtendedKeyUsageOID.CODE_SIGNING])
save("root.der", der(root))
save("inter.der", der(inter))
save_key("inter.key.pem", inter_key)

for i in range(4):
    save(f"precert-{i}.der", der(make_leaf(inter, inter_key, f"signer{i}@example.com")))
save("cert.der", der(make_leaf(inter, inter_key, "final@example.com", poison=None)))
save(
    "precert-serverauth.der",
    der(make_leaf(inter, inter_key, "web@example.com", eku=ExtendedKeyUsageOID.SERVER_AUTH)),
)
save(
    "precert-noncritical-poison.der",
    der(make_leaf(inter, inter_key, "odd@example.com", poison="non-critical")),
)

other_key = ec.generate_private_key(ec.SECP256R1())
other_root = make_ca("root", other_key, name("root"), other_key, None, None)
save("other-root.der", der(other_root))
save("other-precert.der", der(make_leaf(other_root, other_key, "stranger@example.com")))
# Same issuer name as inter, signed by a key that is not inter's.
save("forged-precert.der", der(make_leaf(inter, other_key, "forged@example.com")))
