//! Verifications (and signatures) per second for each key type. Run by hand:
//! `cargo bench -p keys --bench verify`. Criterion reports `thrpt` in elements/s, one element
//! being one verification or one signature.

#![allow(clippy::unwrap_used)]

use std::hint::black_box;
use std::time::Duration;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize};
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use keys::{HashAlgorithm, PublicKey, Signer, SigningAlgorithm, SoftwareSigner};
use sha2::{Digest, Sha256, Sha384};

const MESSAGE: &[u8] = b"tree size 123456789, root hash 0123456789abcdef0123456789abcdef";

fn rsa_key(size: KeySize) -> (PublicKey, Vec<u8>) {
    let pair = RsaKeyPair::generate(size).unwrap();
    let mut signature = vec![0; pair.public_modulus_len()];
    pair.sign(
        &RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        MESSAGE,
        &mut signature,
    )
    .unwrap();
    let spki = pair.public_key().as_der().unwrap();
    (PublicKey::from_spki_der(spki.as_ref()).unwrap(), signature)
}

fn verify(c: &mut Criterion) {
    let mut group = c.benchmark_group("verify");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500))
        .throughput(Throughput::Elements(1));

    for alg in SigningAlgorithm::ALL {
        let signer = SoftwareSigner::generate(alg).unwrap();
        let key = signer.public_key().clone();
        let signature = signer.sign(MESSAGE).unwrap();
        group.bench_function(format!("{alg}"), |b| {
            b.iter(|| {
                key.verify(black_box(MESSAGE), black_box(&signature))
                    .unwrap()
            });
        });
        let prehash = match alg {
            SigningAlgorithm::EcdsaP256Sha256 => {
                Some((HashAlgorithm::Sha256, Sha256::digest(MESSAGE).to_vec()))
            }
            SigningAlgorithm::EcdsaP384Sha384 => {
                Some((HashAlgorithm::Sha384, Sha384::digest(MESSAGE).to_vec()))
            }
            _ => None,
        };
        if let Some((hash, digest)) = prehash {
            group.bench_function(format!("{alg}-prehashed"), |b| {
                b.iter(|| {
                    key.verify_prehashed(hash, black_box(&digest), black_box(&signature))
                        .unwrap()
                });
            });
        }
    }

    for (name, size) in [
        ("rsa-2048-pkcs1-sha256", KeySize::Rsa2048),
        ("rsa-3072-pkcs1-sha256", KeySize::Rsa3072),
        ("rsa-4096-pkcs1-sha256", KeySize::Rsa4096),
    ] {
        let (key, signature) = rsa_key(size);
        group.bench_function(name, |b| {
            b.iter(|| {
                key.verify(black_box(MESSAGE), black_box(&signature))
                    .unwrap()
            });
        });
    }
    group.finish();
}

fn sign(c: &mut Criterion) {
    let mut group = c.benchmark_group("sign");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500))
        .throughput(Throughput::Elements(1));
    for alg in SigningAlgorithm::ALL {
        let signer = SoftwareSigner::generate(alg).unwrap();
        group.bench_function(format!("{alg}"), |b| {
            b.iter(|| signer.sign(black_box(MESSAGE)).unwrap());
        });
    }
    group.finish();
}

/// Parsing cost, for services that build a `PublicKey` per request (e.g. from a certificate).
fn parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500))
        .throughput(Throughput::Elements(1));
    for alg in SigningAlgorithm::ALL {
        let spki = SoftwareSigner::generate(alg)
            .unwrap()
            .public_key()
            .spki_der()
            .to_vec();
        group.bench_function(format!("{alg}"), |b| {
            b.iter(|| PublicKey::from_spki_der(black_box(&spki)).unwrap());
        });
    }
    let (rsa, _) = rsa_key(KeySize::Rsa2048);
    let spki = rsa.spki_der().to_vec();
    group.bench_function("rsa-2048", |b| {
        b.iter(|| PublicKey::from_spki_der(black_box(&spki)).unwrap());
    });
    group.finish();
}

criterion_group!(benches, verify, sign, parse);
criterion_main!(benches);
