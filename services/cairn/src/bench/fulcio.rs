//! `cairn bench fulcio`: issue certificates over HTTP (public key + proof of possession, the
//! sigstore-js/cosign shape, each request with its own fresh key), and report certificates/s
//! next to the cryptographic floor of one certificate measured on one core in the same run:
//! one token verification (RS256, what most identity providers sign with; the development
//! issuer signs ES256, which costs a P-256 verification instead), one P-256 verification (proof
//! of possession) and three P-256 signatures (precertificate, SCT, final certificate).

use std::time::Duration;

use anyhow::Context;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD};
use keys::{Signer, SigningAlgorithm, SoftwareSigner};
use serde_json::{Value, json};

use super::{Load, LoadArgs, measure, p256_sign_rate, p256_verify_rate, rate_of, say};

/// Options of `cairn bench fulcio`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct FulcioBenchArgs {
    #[command(flatten)]
    pub(crate) load: LoadArgs,
    /// An ID token the server accepts, reused for every request (as upstream allows)
    /// [default: one from the server's development issuer, `cairn up --dev`].
    #[arg(long)]
    pub(crate) token: Option<String>,
    /// E-mail of the development issuer's token.
    #[arg(long, default_value = "bench@example.com")]
    pub(crate) email: String,
}

/// Entry point of the subcommand.
pub(crate) fn run(args: FulcioBenchArgs) -> anyhow::Result<()> {
    super::runtime()?.block_on(bench(args))
}

/// RS256 (RSA-2048, PKCS#1 v1.5, SHA-256) verifications per second on one core: what an
/// RSA-signing identity provider's tokens cost.
fn rs256_verify_rate(seconds: f64) -> anyhow::Result<f64> {
    use aws_lc_rs::rsa::{KeyPair, KeySize};
    use aws_lc_rs::signature::{self, KeyPair as _, UnparsedPublicKey};
    let key = KeyPair::generate(KeySize::Rsa2048).map_err(|_| anyhow::anyhow!("RSA keygen"))?;
    let message = b"header.payload";
    let mut sig = vec![0u8; key.public_modulus_len()];
    key.sign(
        &signature::RSA_PKCS1_SHA256,
        &aws_lc_rs::rand::SystemRandom::new(),
        message,
        &mut sig,
    )
    .map_err(|_| anyhow::anyhow!("RSA sign"))?;
    let public = UnparsedPublicKey::new(
        &signature::RSA_PKCS1_2048_8192_SHA256,
        key.public_key().as_ref().to_vec(),
    );
    rate_of(seconds, || {
        public
            .verify(message, &sig)
            .map_err(|_| anyhow::anyhow!("RSA verify failed"))
    })
}

/// The string a client signs for proof of possession: `email` if the token has one, else `sub`.
fn challenge(token: &str) -> anyhow::Result<String> {
    let payload = token.split('.').nth(1).context("the token is not a JWT")?;
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload)?)?;
    claims
        .get("email")
        .and_then(Value::as_str)
        .filter(|e| !e.is_empty())
        .or_else(|| claims.get("sub").and_then(Value::as_str))
        .map(str::to_owned)
        .context("the token has neither email nor sub")
}

/// `count` request bodies, each with a fresh P-256 key and its proof of possession.
fn build_requests(count: usize, token: &str, challenge: &str) -> anyhow::Result<Vec<Vec<u8>>> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let per_thread = count.div_ceil(threads);
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let token = token.to_owned();
            let challenge = challenge.to_owned();
            std::thread::spawn(move || -> anyhow::Result<Vec<Vec<u8>>> {
                let mut out = Vec::with_capacity(per_thread);
                for _ in 0..per_thread {
                    let key = SoftwareSigner::generate(SigningAlgorithm::EcdsaP256Sha256)?;
                    let proof = key.sign(challenge.as_bytes())?;
                    out.push(serde_json::to_vec(&json!({
                        "credentials": {"oidcIdentityToken": token},
                        "publicKeyRequest": {
                            "publicKey": {"algorithm": "ECDSA", "content": key.public_key().to_pem()},
                            "proofOfPossession": B64.encode(proof),
                        },
                    }))?);
                }
                Ok(out)
            })
        })
        .collect();
    let mut all = Vec::with_capacity(count);
    for handle in handles {
        all.extend(
            handle
                .join()
                .map_err(|_| anyhow::anyhow!("a request-building thread panicked"))??,
        );
    }
    all.truncate(count);
    Ok(all)
}

async fn dev_token(base: &str, email: &str) -> anyhow::Result<String> {
    let url = format!("{base}/dev/oidc/token");
    let response: Value = reqwest::Client::new()
        .post(&url)
        .json(&json!({"email": email, "ttl_seconds": 3600}))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .with_context(|| format!("POST {url}"))?
        .error_for_status()
        .with_context(|| format!("{url}: pass --token, or start the server with --dev"))?
        .json()
        .await?;
    response["id_token"]
        .as_str()
        .map(str::to_owned)
        .context("no id_token in the development issuer's answer")
}

async fn bench(args: FulcioBenchArgs) -> anyhow::Result<()> {
    let base = args.load.url.trim_end_matches('/').to_owned();
    let token = match &args.token {
        Some(token) => token.clone(),
        None => dev_token(&base, &args.email).await?,
    };
    let challenge = challenge(&token)?;
    say("cairn bench fulcio");
    say(format!("  target             {base}"));
    let (rs256, p256_verify, p256_sign) = tokio::task::spawn_blocking(|| {
        Ok::<_, anyhow::Error>((
            rs256_verify_rate(1.5)?,
            p256_verify_rate(1.5)?,
            p256_sign_rate(1.5)?,
        ))
    })
    .await??;
    let floor_us = 1e6 / rs256 + 1e6 / p256_verify + 3.0 * 1e6 / p256_sign;
    let floor_rate = 1e6 / floor_us;
    say(format!("  raw RS256 verify   {rs256:>10.0} /s on one core"));
    say(format!(
        "  raw P-256 verify   {p256_verify:>10.0} /s on one core"
    ));
    say(format!(
        "  raw P-256 sign     {p256_sign:>10.0} /s on one core"
    ));
    say(format!(
        "  crypto floor       {floor_rate:>10.0} certificates/s on one core (1 RS256 verify + 1 P-256 verify + 3 P-256 sign = {floor_us:.0} us)"
    ));
    let planned = args
        .load
        .requests
        .unwrap_or((args.load.duration + args.load.warmup) as usize * 3_000);
    say(format!(
        "  pre-building       {planned} requests (fresh key + proof of possession each)"
    ));
    let bodies = build_requests(planned, &token, &challenge)?;
    let load = Load::json_post(&format!("{base}/api/v2/signingCert"), 200);
    let rate = measure(&args.load, &load, bodies, "certificates (200)", 3_000).await?;
    say(format!(
        "  ratio              {:.2} certificates/s per single-core crypto floor",
        rate / floor_rate
    ));
    Ok(())
}
