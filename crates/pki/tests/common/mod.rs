//! Helpers shared by the integration tests: external verifiers (openssl, python3
//! `cryptography`), a test CA, PEM files, a hand-built SCT list and golden files.

#![allow(dead_code, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use der::Encode;
use keys::{PublicKey, Signer, SigningAlgorithm, SoftwareSigner};
use pki::{Certificate, DistinguishedName, ValidityPeriod, oid};

/// The output of an external command.
pub struct Run {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

/// Run `openssl args…`.
pub fn openssl(args: &[&str]) -> Run {
    let out = Command::new("openssl").args(args).output().unwrap();
    Run {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Run `openssl args…` and return its stdout, failing the test if it fails.
pub fn openssl_ok(args: &[&str]) -> String {
    let run = openssl(args);
    assert!(
        run.ok,
        "openssl {args:?} failed:\n{}{}",
        run.stdout, run.stderr
    );
    run.stdout
}

/// Run a python3 script with arguments; return stdout, failing the test if it fails.
pub fn python(script: &str, args: &[&str]) -> String {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Write `contents` to `dir/name` and return the path as a string.
pub fn write(dir: &Path, name: &str, contents: impl AsRef<[u8]>) -> String {
    let path: PathBuf = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path.to_str().unwrap().to_owned()
}

/// Seconds since the epoch, now.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The DER of a parsed certificate.
pub fn der(cert: &Certificate) -> Vec<u8> {
    cert.to_der().unwrap()
}

/// PEM of DER with a trailing newline (for files).
pub fn pem_file(cert_der: &[u8]) -> String {
    format!("{}\n", pki::pem_string(cert_der))
}

/// A root and an intermediate (EKU `purpose`), with their signers.
pub struct TestCa {
    pub root_signer: SoftwareSigner,
    pub root: Certificate,
    pub intermediate_signer: SoftwareSigner,
    pub intermediate: Certificate,
}

impl TestCa {
    /// Root and intermediate valid from an hour ago for ten years, keys of `alg`.
    pub fn new(alg: SigningAlgorithm, purpose: const_oid::ObjectIdentifier) -> TestCa {
        let start = now() - 3600;
        let root_signer = SoftwareSigner::generate(alg).unwrap();
        let root = pki::generate_root(
            &root_signer,
            &DistinguishedName::new("Cairn Test Root", "Cairn Test"),
            ValidityPeriod::starting_at(start, 10 * 365 * 86400),
        )
        .unwrap();
        let intermediate_signer = SoftwareSigner::generate(alg).unwrap();
        let intermediate = pki::generate_intermediate(
            &root_signer,
            &root,
            intermediate_signer.public_key(),
            &DistinguishedName::new("Cairn Test Intermediate", "Cairn Test"),
            ValidityPeriod::starting_at(start, 5 * 365 * 86400),
            &[purpose],
        )
        .unwrap();
        TestCa {
            root_signer,
            root,
            intermediate_signer,
            intermediate,
        }
    }

    /// A Fulcio-style CA: intermediate with `id-kp-codeSigning`.
    pub fn fulcio(alg: SigningAlgorithm) -> TestCa {
        TestCa::new(alg, oid::KP_CODE_SIGNING)
    }

    /// The issuing certificate prepared for leaves.
    pub fn issuer(&self) -> pki::IssuerCert {
        pki::IssuerCert::from_certificate(&self.intermediate).unwrap()
    }

    /// The chain [intermediate, root].
    pub fn chain(&self) -> pki::CertificateChain {
        pki::CertificateChain::new(vec![self.intermediate.clone(), self.root.clone()]).unwrap()
    }
}

/// A fresh P-256 key.
pub fn fresh_key() -> PublicKey {
    SoftwareSigner::generate(SigningAlgorithm::EcdsaP256Sha256)
        .unwrap()
        .public_key()
        .clone()
}

/// A syntactically valid TLS `SignedCertificateTimestampList` holding one v1 SCT per
/// `(log_id, timestamp_ms)`, each with no extensions and a `DigitallySigned` of SHA-256 (4) /
/// ECDSA (3) over an arbitrary message (RFC 6962 §3.2–3.3).
pub fn sct_list(entries: &[([u8; 32], u64)]) -> Vec<u8> {
    let signer = SoftwareSigner::generate(SigningAlgorithm::EcdsaP256Sha256).unwrap();
    let mut list = Vec::new();
    for (log_id, timestamp) in entries {
        let signature = signer.sign(b"not a real SCT signature").unwrap();
        let mut sct = vec![0u8];
        sct.extend_from_slice(log_id);
        sct.extend_from_slice(&timestamp.to_be_bytes());
        sct.extend_from_slice(&[0, 0]);
        sct.extend_from_slice(&[4, 3]);
        sct.extend_from_slice(&(signature.len() as u16).to_be_bytes());
        sct.extend_from_slice(&signature);
        list.extend_from_slice(&(sct.len() as u16).to_be_bytes());
        list.extend_from_slice(&sct);
    }
    let mut out = (list.len() as u16).to_be_bytes().to_vec();
    out.extend_from_slice(&list);
    out
}

/// Compare `actual` with `tests/golden/<name>`, or write it there when `CAIRN_BLESS=1`.
pub fn golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var("CAIRN_BLESS").as_deref() == Ok("1") {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("missing golden {name}; run with CAIRN_BLESS=1 to create it"));
    if expected != actual {
        let first_difference = expected
            .lines()
            .zip(actual.lines())
            .position(|(e, a)| e != a)
            .unwrap_or(expected.lines().count().min(actual.lines().count()));
        panic!(
            "golden {name} differs from line {}:\n--- expected\n{}\n--- actual\n{}\n(rerun with CAIRN_BLESS=1 if the change is intended)",
            first_difference + 1,
            expected
                .lines()
                .skip(first_difference)
                .take(5)
                .collect::<Vec<_>>()
                .join("\n"),
            actual
                .lines()
                .skip(first_difference)
                .take(5)
                .collect::<Vec<_>>()
                .join("\n"),
        );
    }
}

/// Read a file under `tests/data`.
pub fn data(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name),
    )
    .unwrap()
}
