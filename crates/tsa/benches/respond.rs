//! Time-stamp responses per second next to the raw signing rate of the same key, in one run:
//! `cargo bench -p tsa`. Criterion reports `thrpt` in elements/s, one element being one
//! signature, one parsed request or one issued `TimeStampResp`.

#![allow(clippy::unwrap_used)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use keys::{HashAlgorithm, Signer, SoftwareSigner};
use tsa::asn1::oid;
use tsa::{Accuracy, Nonce, TimestampAuthority, TimestampRequest, random_serial};

fn der_of(pem: &str) -> Vec<u8> {
    pem_rfc7468::decode_vec(pem.as_bytes()).unwrap().1
}

fn authority() -> TimestampAuthority {
    let signer = SoftwareSigner::from_pem(include_str!("data/leaf.key")).unwrap();
    let chain = vec![
        der_of(include_str!("data/leaf.pem")),
        der_of(include_str!("data/intermediate.pem")),
        der_of(include_str!("data/root.pem")),
    ];
    TimestampAuthority::new(
        Arc::new(signer),
        chain,
        oid::SIGSTORE_TSA_POLICY,
        Accuracy::ONE_SECOND,
    )
    .unwrap()
}

fn bench(c: &mut Criterion) {
    let authority = authority();
    let request = TimestampRequest::new(HashAlgorithm::Sha256, vec![0x5a; 32])
        .unwrap()
        .with_nonce(Some(Nonce::from_u64(0x0123_4567_89ab_cdef)))
        .with_cert_req(true);
    let der_request = request.to_der().unwrap();
    let json_request = br#"{"artifactHash":"WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlo=","hashAlgorithm":"sha256"}"#;

    let mut group = c.benchmark_group("tsa");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_millis(500))
        .throughput(Throughput::Elements(1));

    // What issuing costs at least: one ECDSA P-256 signature over ~200 bytes of attributes.
    let attrs = vec![0x31; 230];
    group.bench_function("raw Signer::sign (ECDSA P-256)", |b| {
        b.iter(|| authority.signer().sign(black_box(&attrs)).unwrap())
    });
    group.bench_function("parse DER request", |b| {
        b.iter(|| TimestampRequest::from_der(black_box(&der_request)).unwrap())
    });
    group.bench_function("respond (DER request, certReq)", |b| {
        b.iter(|| {
            let req = TimestampRequest::from_der(black_box(&der_request)).unwrap();
            authority
                .respond(&req, SystemTime::now(), &random_serial().unwrap())
                .unwrap()
        })
    });
    group.bench_function("respond (JSON request)", |b| {
        b.iter(|| {
            let req = TimestampRequest::from_json(black_box(json_request)).unwrap();
            authority
                .respond(&req, SystemTime::now(), &random_serial().unwrap())
                .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
