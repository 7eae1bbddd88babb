//! Hostile input never panics: random bytes and mutations of valid encodings go through every
//! parser (CSR, SPKI policy, certificate chains in DER and PEM, TBS cutting, issuer loading).

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::OnceLock;

use common::{TestCa, der};
use keys::{Signer, SigningAlgorithm};
use pki::{CertificateChain, IssuerCert, LeafRequest, PreparedLeaf, SubjectAltName, oid};
use proptest::prelude::*;

struct Samples {
    leaf: Vec<u8>,
    precert: Vec<u8>,
    intermediate: Vec<u8>,
    root: Vec<u8>,
    spki: Vec<u8>,
    csr: Vec<u8>,
    chain_pem: String,
    signer_key: keys::PublicKey,
}

fn samples() -> &'static Samples {
    static SAMPLES: OnceLock<Samples> = OnceLock::new();
    SAMPLES.get_or_init(|| {
        let ca = TestCa::fulcio(SigningAlgorithm::EcdsaP256Sha256);
        let request = LeafRequest {
            public_key: common::fresh_key(),
            san: SubjectAltName::Email("a@example.com".into()),
            extensions: vec![pki::SigstoreExtension::new(1, "https://issuer")],
            not_before_unix: common::now(),
            validity_secs: 600,
        };
        let prepared = PreparedLeaf::new(&request, &ca.issuer()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("k.pem");
        common::openssl_ok(&[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            key.to_str().unwrap(),
        ]);
        let csr_pem = common::openssl_ok(&[
            "req",
            "-new",
            "-key",
            key.to_str().unwrap(),
            "-subj",
            "/CN=x",
        ]);
        Samples {
            leaf: prepared
                .finalize(&ca.intermediate_signer, &common::sct_list(&[([1; 32], 5)]))
                .unwrap(),
            precert: prepared.precertificate(&ca.intermediate_signer).unwrap(),
            intermediate: der(&ca.intermediate),
            root: der(&ca.root),
            spki: ca.intermediate_signer.public_key().spki_der().to_vec(),
            csr: pem_rfc7468::decode_vec(csr_pem.trim().as_bytes())
                .unwrap()
                .1,
            chain_pem: ca.chain().to_pem(),
            signer_key: ca.intermediate_signer.public_key().clone(),
        }
    })
}

/// `base` with up to three bytes overwritten and possibly truncated.
fn mutate(base: &[u8], edits: &[(usize, u8)], cut: Option<usize>) -> Vec<u8> {
    let mut out = base.to_vec();
    for (at, byte) in edits {
        let len = out.len();
        if len > 0 {
            out[at % len] = *byte;
        }
    }
    if let Some(cut) = cut {
        out.truncate(cut % (base.len() + 1));
    }
    out
}

fn edits() -> impl Strategy<Value = (Vec<(usize, u8)>, Option<usize>)> {
    (
        prop::collection::vec((any::<usize>(), any::<u8>()), 0..4),
        any::<Option<usize>>(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = pki::verify_csr(&bytes);
        let _ = pki::check_key_strength(&bytes);
        let _ = pki::tbs_without_extension(&bytes, &oid::CT_POISON);
        let _ = IssuerCert::from_der(&bytes);
        let _ = CertificateChain::from_der_certificates(vec![bytes.clone()]);
        let _ = CertificateChain::from_pem(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn mutated_encodings_never_panic((edits, cut) in edits()) {
        let s = samples();
        let _ = pki::verify_csr(&mutate(&s.csr, &edits, cut));
        let _ = pki::check_key_strength(&mutate(&s.spki, &edits, cut));
        for cert in [&s.leaf, &s.precert] {
            let mutated = mutate(cert, &edits, cut);
            let _ = pki::tbs_without_extension(&mutated, &oid::CT_SCT_LIST);
            let _ = pki::tbs_without_extension(&mutated, &oid::CT_POISON);
        }
        let intermediate = mutate(&s.intermediate, &edits, cut);
        let _ = IssuerCert::from_der(&intermediate);
        if let Ok(chain) = CertificateChain::from_der_certificates(vec![intermediate, s.root.clone()]) {
            let _ = pki::validate_issuing_chain(&chain, &s.signer_key, Some(oid::KP_CODE_SIGNING), common::now());
            let _ = pki::validate_timestamping_chain(&chain, &s.signer_key, common::now());
        }
        let pem = mutate(s.chain_pem.as_bytes(), &edits, cut);
        if let Ok(chain) = CertificateChain::from_pem(&String::from_utf8_lossy(&pem)) {
            let _ = pki::validate_issuing_chain(&chain, &s.signer_key, None, common::now());
        }
    }
}
