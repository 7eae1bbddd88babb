//! `cairn bench tsa`: request RFC 3161 timestamps over HTTP (DER requests with a nonce and
//! certReq, as sigstore-python sends them, each for a different digest) and report
//! timestamps/s next to the raw P-256 signing rate of one core measured in the same run (one
//! signature per timestamp).

use anyhow::Context;
use keys::HashAlgorithm;
use sha2::Digest;

use super::{Load, LoadArgs, measure, p256_sign_rate, say};

/// Options of `cairn bench tsa`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct TsaBenchArgs {
    #[command(flatten)]
    pub(crate) load: LoadArgs,
}

/// Entry point of the subcommand.
pub(crate) fn run(args: TsaBenchArgs) -> anyhow::Result<()> {
    super::runtime()?.block_on(bench(args))
}

fn build_requests(count: usize) -> anyhow::Result<Vec<Vec<u8>>> {
    let tag = std::process::id();
    (0..count)
        .map(|i| {
            let digest = sha2::Sha256::digest(format!("cairn tsa bench {tag} {i}")).to_vec();
            tsa::TimestampRequest::new(HashAlgorithm::Sha256, digest)
                .map_err(|e| anyhow::anyhow!("{e}"))?
                .with_nonce(Some(tsa::Nonce::from_u64(i as u64 + 1)))
                .with_cert_req(true)
                .to_der()
                .context("encoding a timestamp request")
        })
        .collect()
}

async fn bench(args: TsaBenchArgs) -> anyhow::Result<()> {
    let base = args.load.url.trim_end_matches('/').to_owned();
    say("cairn bench tsa");
    say(format!("  target             {base}"));
    let sign_rate = tokio::task::spawn_blocking(|| p256_sign_rate(2.0)).await??;
    say(format!(
        "  raw P-256 sign     {sign_rate:>10.0} /s on one core"
    ));
    let planned = args
        .load
        .requests
        .unwrap_or((args.load.duration + args.load.warmup) as usize * 25_000);
    say(format!("  pre-building       {planned} DER requests"));
    let bodies = build_requests(planned)?;
    let load = Load {
        url: format!("{base}/api/v1/timestamp"),
        content_type: "application/timestamp-query",
        success: 200,
    };
    let rate = measure(&args.load, &load, bodies, "timestamps (200)", 25_000).await?;
    say(format!(
        "  ratio              {:.2} timestamps/s per raw single-core P-256 sign/s",
        rate / sign_rate
    ));
    Ok(())
}
