//! Test chains made with the `openssl` CLI in a temporary directory: root CA → intermediate CA →
//! TSA signing certificate, with the extensions each test asks for.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Run `openssl` in `dir`, failing the test with a clear message if it is missing.
pub fn openssl(dir: &Path, args: &[&str]) -> Output {
    match Command::new("openssl").args(args).current_dir(dir).output() {
        Ok(output) => output,
        Err(err) => panic!(
            "these tests need the `openssl` command-line tool (OpenSSL 3) on PATH; running it failed: {err}"
        ),
    }
}

/// Run `openssl` and require success; returns stdout.
pub fn openssl_ok(dir: &Path, args: &[&str]) -> String {
    let out = openssl(dir, args);
    assert!(
        out.status.success(),
        "openssl {args:?} failed:\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Key types for generated keys.
#[derive(Clone, Copy, Debug)]
pub enum KeyType {
    P256,
    P384,
    Ed25519,
}

impl KeyType {
    fn newkey_args(self) -> Vec<&'static str> {
        match self {
            KeyType::P256 => vec!["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
            KeyType::P384 => vec!["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"],
            KeyType::Ed25519 => vec!["-newkey", "ed25519"],
        }
    }
}

pub const ROOT_EXT: &str = "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n";
pub const INTERMEDIATE_EXT: &str = "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nextendedKeyUsage=timeStamping\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n";
pub const LEAF_EXT: &str = "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n";

/// Make a self-signed CA `name`.{key,pem}.
pub fn self_signed(dir: &Path, name: &str, subject: &str, key: KeyType, ext: &str) {
    std::fs::write(
        dir.join(format!("{name}.ext")),
        format!("[req]\ndistinguished_name=dn\n[dn]\n[v3]\n{ext}"),
    )
    .unwrap();
    let mut args = vec!["req", "-x509", "-new"];
    args.extend(key.newkey_args());
    let (keyout, out, extfile) = (
        format!("{name}.key"),
        format!("{name}.pem"),
        format!("{name}.ext"),
    );
    args.extend([
        "-nodes",
        "-keyout",
        &keyout,
        "-out",
        &out,
        "-subj",
        subject,
        "-days",
        "3650",
        "-config",
        &extfile,
        "-extensions",
        "v3",
    ]);
    openssl_ok(dir, &args);
}

/// Make `name`.{key,pem} with a fresh key (or `existing_key`), issued by `issuer`.{key,pem}.
pub fn issue(
    dir: &Path,
    name: &str,
    subject: &str,
    key: KeyType,
    issuer: &str,
    ext: &str,
    serial: u32,
) {
    std::fs::write(
        dir.join(format!("{name}.ext")),
        format!("[req]\ndistinguished_name=dn\n[dn]\n[v3]\n{ext}"),
    )
    .unwrap();
    let (keyout, csr, out, extfile) = (
        format!("{name}.key"),
        format!("{name}.csr"),
        format!("{name}.pem"),
        format!("{name}.ext"),
    );
    let mut args = vec!["req", "-new"];
    args.extend(key.newkey_args());
    args.extend([
        "-nodes", "-keyout", &keyout, "-out", &csr, "-subj", subject, "-config", &extfile,
    ]);
    openssl_ok(dir, &args);
    let (ca, ca_key, serial) = (
        format!("{issuer}.pem"),
        format!("{issuer}.key"),
        serial.to_string(),
    );
    openssl_ok(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &ca,
            "-CAkey",
            &ca_key,
            "-set_serial",
            &serial,
            "-days",
            "3650",
            "-extfile",
            &extfile,
            "-extensions",
            "v3",
            "-out",
            &out,
        ],
    );
}

/// DER of a PEM certificate file.
pub fn der_of(dir: &Path, name: &str) -> Vec<u8> {
    let pem = std::fs::read_to_string(dir.join(format!("{name}.pem"))).unwrap();
    let (label, der) = pem_rfc7468::decode_vec(pem.as_bytes()).unwrap();
    assert_eq!(label, "CERTIFICATE");
    der
}

/// A standard chain in `dir`: root.pem, intermediate.pem, leaf.pem (+ .key), untrusted.pem
/// (intermediate + leaf).
pub struct Chain {
    pub dir: tempfile::TempDir,
    pub chain_der: Vec<Vec<u8>>,
    pub signer: std::sync::Arc<dyn keys::Signer>,
}

impl Chain {
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

pub fn make_chain(leaf_key: KeyType, leaf_ext: &str, intermediate_ext: &str) -> Chain {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    self_signed(
        d,
        "root",
        "/O=Cairn Test/CN=Cairn Test Root",
        KeyType::P256,
        ROOT_EXT,
    );
    issue(
        d,
        "intermediate",
        "/O=Cairn Test/CN=Cairn Test TSA Intermediate",
        KeyType::P256,
        "root",
        intermediate_ext,
        2,
    );
    issue(
        d,
        "leaf",
        "/O=Cairn Test/CN=Cairn Test TSA",
        leaf_key,
        "intermediate",
        leaf_ext,
        3,
    );
    let untrusted = [
        std::fs::read_to_string(d.join("intermediate.pem")).unwrap(),
        std::fs::read_to_string(d.join("leaf.pem")).unwrap(),
    ]
    .concat();
    std::fs::write(d.join("untrusted.pem"), untrusted).unwrap();
    let key_pem = std::fs::read_to_string(d.join("leaf.key")).unwrap();
    let signer = keys::SoftwareSigner::from_pem(&key_pem).unwrap();
    let chain_der = vec![
        der_of(d, "leaf"),
        der_of(d, "intermediate"),
        der_of(d, "root"),
    ];
    Chain {
        dir,
        chain_der,
        signer: std::sync::Arc::new(signer),
    }
}

pub fn standard_chain(leaf_key: KeyType) -> Chain {
    make_chain(leaf_key, LEAF_EXT, INTERMEDIATE_EXT)
}

/// `openssl ts -verify` of `resp` against the chain; returns (success, combined output).
pub fn ts_verify(chain: &Chain, resp: &[u8], against: &[&str]) -> (bool, String) {
    let resp_path = chain.path("resp.tsr");
    std::fs::write(&resp_path, resp).unwrap();
    let mut args = vec![
        "ts",
        "-verify",
        "-in",
        "resp.tsr",
        "-CAfile",
        "root.pem",
        "-untrusted",
        "untrusted.pem",
    ];
    args.extend_from_slice(against);
    let out = openssl(chain.dir.path(), &args);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (
        out.status.success() && text.contains("Verification: OK"),
        text,
    )
}
