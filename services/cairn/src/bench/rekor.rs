//! `cairn bench rekor`: a load generator for the Rekor API.
//!
//! It measures this machine's raw ECDSA P-256 verification rate first (the floor every entry
//! pays once on the server), then pre-signs distinct hashedrekord entries, then appends them over
//! HTTP with many concurrent connections for a fixed time and reports entries/s and latency
//! percentiles. Compare the two rates from one run; absolute numbers on shared machines are noisy.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use clap::Args;
use keys::{Signer, SigningAlgorithm, SoftwareSigner};
use sha2::{Digest, Sha256};

use super::{Load, LoadArgs, measure, p256_verify_rate, phase, say};

/// Options of `cairn bench rekor`.
#[derive(Debug, Clone, Args)]
pub(crate) struct RekorBenchArgs {
    /// Base URL of the Cairn (or Rekor) server.
    #[arg(long, default_value = "http://127.0.0.1:3000")]
    pub(crate) url: String,
    /// Concurrent connections (each with one request in flight).
    #[arg(long, default_value_t = 128)]
    pub(crate) connections: usize,
    /// Seconds of measured load.
    #[arg(long, default_value_t = 60)]
    pub(crate) duration: u64,
    /// Seconds of unmeasured load first (connection set-up, caches).
    #[arg(long, default_value_t = 3)]
    pub(crate) warmup: u64,
    /// Before measuring, append unmeasured entries until the log holds at least this many.
    #[arg(long, default_value_t = 0)]
    pub(crate) fill_to: u64,
    /// Entries to pre-sign for the measured phase (default: enough for 8,000/s).
    #[arg(long)]
    pub(crate) entries: Option<usize>,
}

/// Entry point of the subcommand.
pub(crate) fn run(args: RekorBenchArgs) -> anyhow::Result<()> {
    if args.connections == 0 || args.duration == 0 {
        bail!("--connections and --duration must be positive");
    }
    super::runtime()?.block_on(bench(args))
}

/// Pre-sign `count` distinct hashedrekord proposals (JSON bytes), using every core.
fn presign(count: usize, tag: &str) -> anyhow::Result<Vec<Vec<u8>>> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let per_thread = count.div_ceil(threads);
    let mut handles = Vec::new();
    for t in 0..threads {
        let tag = tag.to_owned();
        handles.push(std::thread::spawn(move || -> anyhow::Result<Vec<Vec<u8>>> {
            let key = SoftwareSigner::generate(SigningAlgorithm::EcdsaP256Sha256)?;
            let pem = BASE64.encode(key.public_key().to_pem());
            let mut out = Vec::with_capacity(per_thread);
            for i in 0..per_thread {
                let artifact = format!("cairn bench {tag} thread {t} entry {i}");
                let digest = Sha256::digest(artifact.as_bytes());
                let signature = key.sign(artifact.as_bytes())?;
                let body = serde_json::json!({
                    "apiVersion": "0.0.1",
                    "kind": "hashedrekord",
                    "spec": {
                        "data": {"hash": {"algorithm": "sha256", "value": hex::encode(digest)}},
                        "signature": {"content": BASE64.encode(signature), "publicKey": {"content": pem}},
                    },
                });
                out.push(serde_json::to_vec(&body)?);
            }
            Ok(out)
        }));
    }
    let mut all = Vec::with_capacity(count);
    for handle in handles {
        let part = handle
            .join()
            .map_err(|_| anyhow::anyhow!("a signing thread panicked"))??;
        all.extend(part);
    }
    all.truncate(count);
    Ok(all)
}

async fn tree_size(client: &reqwest::Client, base: &str) -> anyhow::Result<u64> {
    let info: serde_json::Value = client
        .get(format!("{base}/api/v1/log"))
        .send()
        .await
        .context("GET /api/v1/log")?
        .error_for_status()?
        .json()
        .await?;
    info["treeSize"]
        .as_u64()
        .context("LogInfo without a numeric treeSize")
}

async fn bench(args: RekorBenchArgs) -> anyhow::Result<()> {
    let base = args.url.trim_end_matches('/').to_owned();
    let entries_url = format!("{base}/api/v1/log/entries");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.connections)
        .timeout(Duration::from_secs(30))
        .build()?;
    let start_size = tree_size(&client, &base).await?;
    let tag = format!(
        "{}",
        std::process::id() as u128 * 1_000_000 + Instant::now().elapsed().as_nanos()
    );

    say("cairn bench rekor");
    say(format!(
        "  target             {base}  (tree size {start_size})"
    ));
    let verify_rate = tokio::task::spawn_blocking(|| p256_verify_rate(2.0)).await??;
    say(format!(
        "  raw P-256 verify   {verify_rate:>10.0} /s on one core"
    ));

    if args.fill_to > start_size {
        let missing = (args.fill_to - start_size) as usize;
        say(format!(
            "  filling            {missing} entries (unmeasured)"
        ));
        let mut remaining = missing;
        let mut round = 0;
        while remaining > 0 {
            let chunk = remaining.min(200_000);
            let fill = Arc::new(presign(chunk, &format!("{tag}-fill{round}"))?);
            let result = phase(
                &client,
                &Load::json_post(&entries_url, 201),
                fill,
                args.connections,
                Duration::from_secs(3600),
            )
            .await;
            if result.succeeded == 0 {
                bail!(
                    "filling made no progress: {:?} {} transport errors",
                    result.other_status,
                    result.transport_errors
                );
            }
            remaining = remaining.saturating_sub(result.succeeded);
            round += 1;
            say(format!(
                "    +{} in {:.1}s ({:.0}/s)",
                result.succeeded,
                result.elapsed.as_secs_f64(),
                result.succeeded as f64 / result.elapsed.as_secs_f64()
            ));
        }
    }

    let planned = args
        .entries
        .unwrap_or((args.duration + args.warmup) as usize * 8_000);
    say(format!(
        "  pre-signing        {planned} distinct hashedrekord entries"
    ));
    let entries = presign(planned, &tag)?;
    let load_args = LoadArgs {
        url: base.clone(),
        connections: args.connections,
        duration: args.duration,
        warmup: args.warmup,
        requests: None,
    };
    let size_before = tree_size(&client, &base).await?;
    let rate = measure(
        &load_args,
        &Load::json_post(&entries_url, 201),
        entries,
        "appended (201)",
        8_000,
    )
    .await?;
    let size_after = tree_size(&client, &base).await?;
    say(format!(
        "  log size           {size_before} -> {size_after} (warm-up included)"
    ));
    say(format!(
        "  ratio              {:.2} entries/s per raw single-core P-256 verify/s",
        rate / verify_rate
    ));
    Ok(())
}
