//! Parse and verify signed checkpoints (Ed25519 and ECDSA P-256), and sign them.
#![allow(clippy::unwrap_used)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use keys::{SigningAlgorithm, SoftwareSigner};
use signed_note::{Checkpoint, KeyIdRule, NoteKeySigner, SignedCheckpoint};

fn signer(alg: SigningAlgorithm, rule: KeyIdRule) -> NoteKeySigner {
    let key = Arc::new(SoftwareSigner::generate(alg).expect("generate key"));
    NoteKeySigner::new("log.example.com", key, rule).expect("note signer")
}

fn bench_note(c: &mut Criterion) {
    let checkpoint = Checkpoint::new("log.example.com", 123_456_789, [0x5a; 32]).unwrap();
    let mut group = c.benchmark_group("signed_checkpoint");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(2));
    group.warm_up_time(Duration::from_millis(500));

    for (label, alg, rule) in [
        ("ed25519", SigningAlgorithm::Ed25519, KeyIdRule::C2sp),
        (
            "ecdsa_p256",
            SigningAlgorithm::EcdsaP256Sha256,
            KeyIdRule::RekorV1,
        ),
    ] {
        let signer = signer(alg, rule);
        let verifier = signer.verifier();
        let bytes = checkpoint.sign(&[&signer]).unwrap().to_bytes();

        group.bench_function(format!("parse_verify/{label}"), |b| {
            b.iter(|| SignedCheckpoint::verify(black_box(&bytes), &[&verifier]).unwrap())
        });
        group.bench_function(format!("sign/{label}"), |b| {
            b.iter(|| black_box(&checkpoint).sign(&[&signer]).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, bench_note);
criterion_main!(benches);
