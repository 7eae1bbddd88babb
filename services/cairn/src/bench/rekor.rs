//! `cairn bench rekor`: a load generator for the Rekor API.
//!
//! It measures this machine's raw ECDSA P-256 verification rate first (the floor every entry
//! pays once on the server), then pre-signs distinct hashedrekord entries, then appends them over
//! HTTP with many concurrent connections for a fixed time and reports entries/s and latency
//! percentiles. Compare the two rates from one run; absolute numbers on shared machines are noisy.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use clap::Args;
use keys::{Signer, SigningAlgorithm, SoftwareSigner};
use sha2::{Digest, Sha256};

/// Options of `cairn bench rekor`.
#[derive(Debug, Clone, Args)]
pub(crate) struct RekorBenchArgs {
    /// Base URL of the Cairn (or Rekor) server.
    #[arg(long, default_value = "http://127.0.0.1:3000")]
    pub(crate) url: String,
    /// Concurrent connections (each with one request in flight).
    #[arg(long, default_value_t = 64)]
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
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(bench(args))
}

fn say(line: impl AsRef<str>) {
    let mut out = std::io::stdout();
    let _ = writeln!(out, "{}", line.as_ref());
    let _ = out.flush();
}

/// Raw single-core ECDSA P-256 (SHA-256) verifications per second on this machine.
fn p256_verify_rate(seconds: f64) -> anyhow::Result<f64> {
    let key = SoftwareSigner::generate(SigningAlgorithm::EcdsaP256Sha256)?;
    let message = b"cairn benchmark message";
    let signature = key.sign(message)?;
    let public = key.public_key().clone();
    let started = Instant::now();
    let mut count = 0u64;
    while started.elapsed().as_secs_f64() < seconds {
        for _ in 0..100 {
            public
                .verify(message, &signature)
                .map_err(|e| anyhow::anyhow!("self-made signature failed to verify: {e}"))?;
        }
        count += 100;
    }
    Ok(count as f64 / started.elapsed().as_secs_f64())
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

#[derive(Debug, Default)]
struct PhaseResult {
    created: usize,
    other_status: Vec<(u16, usize)>,
    transport_errors: usize,
    latencies_us: Vec<u32>,
    elapsed: Duration,
    ran_out: bool,
}

/// Send entries from `entries` with `connections` workers for `duration`.
async fn phase(
    client: &reqwest::Client,
    url: &str,
    entries: Arc<Vec<Vec<u8>>>,
    connections: usize,
    duration: Duration,
) -> PhaseResult {
    let next = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..connections {
        let client = client.clone();
        let url = url.to_owned();
        let entries = entries.clone();
        let next = next.clone();
        let stop = stop.clone();
        workers.push(tokio::spawn(async move {
            let mut result = PhaseResult::default();
            let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
            while !stop.load(Ordering::Relaxed) && started.elapsed() < duration {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(body) = entries.get(i) else {
                    result.ran_out = true;
                    break;
                };
                let sent = Instant::now();
                let response = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await;
                match response {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        // Read the body: a client has to, and it is part of the latency.
                        let _ = response.bytes().await;
                        if status == 201 {
                            result.created += 1;
                            let micros = sent.elapsed().as_micros();
                            result
                                .latencies_us
                                .push(u32::try_from(micros).unwrap_or(u32::MAX));
                        } else {
                            *statuses.entry(status).or_default() += 1;
                        }
                    }
                    Err(_) => result.transport_errors += 1,
                }
            }
            result.other_status = statuses.into_iter().collect();
            result
        }));
    }
    let mut total = PhaseResult::default();
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for worker in workers {
        if let Ok(r) = worker.await {
            total.created += r.created;
            total.transport_errors += r.transport_errors;
            total.latencies_us.extend(r.latencies_us);
            total.ran_out |= r.ran_out;
            for (status, n) in r.other_status {
                *statuses.entry(status).or_default() += n;
            }
        }
    }
    stop.store(true, Ordering::Relaxed);
    total.elapsed = started.elapsed();
    total.other_status = statuses.into_iter().collect();
    total
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    f64::from(sorted[rank.min(sorted.len() - 1)]) / 1000.0
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
                &entries_url,
                fill,
                args.connections,
                Duration::from_secs(3600),
            )
            .await;
            if result.created == 0 {
                bail!(
                    "filling made no progress: {:?} {} transport errors",
                    result.other_status,
                    result.transport_errors
                );
            }
            remaining = remaining.saturating_sub(result.created);
            round += 1;
            say(format!(
                "    +{} in {:.1}s ({:.0}/s)",
                result.created,
                result.elapsed.as_secs_f64(),
                result.created as f64 / result.elapsed.as_secs_f64()
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
    let warm_count = (args.warmup as usize * 8_000).min(entries.len() / 4);
    let (warm, measured) = entries.split_at(warm_count);
    let warm = Arc::new(warm.to_vec());
    let measured = Arc::new(measured.to_vec());
    if args.warmup > 0 {
        phase(
            &client,
            &entries_url,
            warm,
            args.connections,
            Duration::from_secs(args.warmup),
        )
        .await;
    }
    let size_before = tree_size(&client, &base).await?;
    let mut result = phase(
        &client,
        &entries_url,
        measured,
        args.connections,
        Duration::from_secs(args.duration),
    )
    .await;
    let size_after = tree_size(&client, &base).await?;
    result.latencies_us.sort_unstable();
    let seconds = result.elapsed.as_secs_f64();
    let rate = result.created as f64 / seconds;
    say(format!("  connections        {}", args.connections));
    say(format!(
        "  measured           {:.1} s, log {size_before} -> {size_after}",
        seconds
    ));
    say(format!(
        "  appended (201)     {:>10}  = {rate:.0} entries/s",
        result.created
    ));
    say(format!(
        "  latency ms         p50 {:.1}  p90 {:.1}  p99 {:.1}  max {:.1}",
        percentile(&result.latencies_us, 50.0),
        percentile(&result.latencies_us, 90.0),
        percentile(&result.latencies_us, 99.0),
        percentile(&result.latencies_us, 100.0)
    ));
    if !result.other_status.is_empty() || result.transport_errors > 0 {
        say(format!(
            "  not created        statuses {:?}, transport errors {}",
            result.other_status, result.transport_errors
        ));
    }
    if result.ran_out {
        say(
            "  note               ran out of pre-signed entries before the time was up (use --entries)",
        );
    }
    say(format!(
        "  ratio              {:.2} entries/s per raw single-core P-256 verify/s",
        rate / verify_rate
    ));
    Ok(())
}
