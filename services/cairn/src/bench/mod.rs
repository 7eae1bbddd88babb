//! `cairn bench …`: load generators for a running server, one per service. Each measures the
//! raw cryptographic floor of one request on one core first, then pre-builds distinct requests
//! (so that the generator itself only does HTTP during the measured phase), then sends them
//! over many connections for a fixed time and reports requests/s and latency percentiles.
//! Compare the two rates of one run; absolute numbers on shared machines are noisy.

pub(crate) mod fulcio;
pub(crate) mod rekor;
pub(crate) mod tsa;

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use keys::{Signer, SigningAlgorithm, SoftwareSigner};

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

fn say(line: impl AsRef<str>) {
    let mut out = std::io::stdout();
    let _ = writeln!(out, "{}", line.as_ref());
    let _ = out.flush();
}

/// How many times `op` runs per second on this thread, measured for about `seconds`.
fn rate_of(seconds: f64, mut op: impl FnMut() -> anyhow::Result<()>) -> anyhow::Result<f64> {
    let started = Instant::now();
    let mut count = 0u64;
    while started.elapsed().as_secs_f64() < seconds {
        for _ in 0..50 {
            op()?;
        }
        count += 50;
    }
    Ok(count as f64 / started.elapsed().as_secs_f64())
}

/// Raw single-core ECDSA P-256 (SHA-256) verifications per second on this machine.
fn p256_verify_rate(seconds: f64) -> anyhow::Result<f64> {
    let key = SoftwareSigner::generate(SigningAlgorithm::EcdsaP256Sha256)?;
    let message = b"cairn benchmark message";
    let signature = key.sign(message)?;
    let public = key.public_key().clone();
    rate_of(seconds, || {
        public
            .verify(message, &signature)
            .map_err(|e| anyhow::anyhow!("self-made signature failed to verify: {e}"))
    })
}

/// Raw single-core ECDSA P-256 (SHA-256) signatures per second on this machine.
fn p256_sign_rate(seconds: f64) -> anyhow::Result<f64> {
    let key = SoftwareSigner::generate(SigningAlgorithm::EcdsaP256Sha256)?;
    let message = b"cairn benchmark message";
    rate_of(seconds, || {
        key.sign(message)
            .map(|_| ())
            .map_err(|e| anyhow::anyhow!("signing failed: {e}"))
    })
}

/// What one request of a load phase looks like (its body comes from the pre-built list).
#[derive(Debug, Clone)]
struct Load {
    url: String,
    content_type: &'static str,
    /// The status that counts as success.
    success: u16,
}

impl Load {
    fn json_post(url: &str, success: u16) -> Load {
        Load {
            url: url.to_owned(),
            content_type: "application/json",
            success,
        }
    }
}

#[derive(Debug, Default)]
struct PhaseResult {
    succeeded: usize,
    other_status: Vec<(u16, usize)>,
    transport_errors: usize,
    latencies_us: Vec<u32>,
    elapsed: Duration,
    ran_out: bool,
}

/// POST the bodies of `bodies` (each once) with `connections` workers for `duration`.
async fn phase(
    client: &reqwest::Client,
    load: &Load,
    bodies: Arc<Vec<Vec<u8>>>,
    connections: usize,
    duration: Duration,
) -> PhaseResult {
    let next = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..connections {
        let client = client.clone();
        let load = load.clone();
        let bodies = bodies.clone();
        let next = next.clone();
        let stop = stop.clone();
        workers.push(tokio::spawn(async move {
            let mut result = PhaseResult::default();
            let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
            while !stop.load(Ordering::Relaxed) && started.elapsed() < duration {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(body) = bodies.get(i) else {
                    result.ran_out = true;
                    break;
                };
                let sent = Instant::now();
                let response = client
                    .post(&load.url)
                    .header("content-type", load.content_type)
                    .body(body.clone())
                    .send()
                    .await;
                match response {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        // Read the body: a client has to, and it is part of the latency.
                        let _ = response.bytes().await;
                        if status == load.success {
                            result.succeeded += 1;
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
            total.succeeded += r.succeeded;
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

/// Options every load generator shares.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct LoadArgs {
    /// Base URL of the Cairn server.
    #[arg(long, default_value = "http://127.0.0.1:3000")]
    pub(crate) url: String,
    /// Concurrent connections (each with one request in flight).
    #[arg(long, default_value_t = 64)]
    pub(crate) connections: usize,
    /// Seconds of measured load.
    #[arg(long, default_value_t = 30)]
    pub(crate) duration: u64,
    /// Seconds of unmeasured load first (connection set-up, caches).
    #[arg(long, default_value_t = 3)]
    pub(crate) warmup: u64,
    /// Requests to pre-build for the measured phase [default: enough for the target rate].
    #[arg(long)]
    pub(crate) requests: Option<usize>,
}

/// Warm up, measure, and print the rate and latencies of `bodies` against `load`; returns
/// the measured rate.
async fn measure(
    args: &LoadArgs,
    load: &Load,
    bodies: Vec<Vec<u8>>,
    what: &str,
    per_second_planned: usize,
) -> anyhow::Result<f64> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.connections)
        .timeout(Duration::from_secs(30))
        .build()?;
    let warm_count = (args.warmup as usize * per_second_planned).min(bodies.len() / 4);
    let (warm, measured) = bodies.split_at(warm_count);
    if args.warmup > 0 {
        phase(
            &client,
            load,
            Arc::new(warm.to_vec()),
            args.connections,
            Duration::from_secs(args.warmup),
        )
        .await;
    }
    let mut result = phase(
        &client,
        load,
        Arc::new(measured.to_vec()),
        args.connections,
        Duration::from_secs(args.duration),
    )
    .await;
    result.latencies_us.sort_unstable();
    let seconds = result.elapsed.as_secs_f64();
    let rate = result.succeeded as f64 / seconds;
    say(format!("  connections        {}", args.connections));
    say(format!("  measured           {seconds:.1} s"));
    say(format!(
        "  {what:<18} {:>10}  = {rate:.0}/s",
        result.succeeded
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
            "  failed             statuses {:?}, transport errors {}",
            result.other_status, result.transport_errors
        ));
    }
    if result.ran_out {
        say(
            "  note               ran out of pre-built requests before the time was up (use --requests)",
        );
    }
    if result.succeeded == 0 {
        anyhow::bail!("no request succeeded");
    }
    Ok(rate)
}
