//! `cairn up`: load and validate the configuration, prepare the data directory, bind, serve until
//! SIGINT/SIGTERM, drain.

use std::io::Write;
use std::time::Duration;

use anyhow::Context;

use crate::app::{AppState, router};
use crate::cli::UpArgs;
use crate::config;
use crate::database::Database;

pub(crate) fn run(args: UpArgs) -> anyhow::Result<()> {
    let loaded = config::load(&args.flags, std::env::vars())?;
    let cfg = loaded.config;
    service_kit::telemetry::init(cfg.raw.log.format, &cfg.raw.log.filter)?;
    for warning in &loaded.warnings {
        tracing::warn!("{warning}");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(serve(cfg))
}

async fn serve(cfg: config::ValidConfig) -> anyhow::Result<()> {
    let data_dir = config::absolute(&cfg.raw.data_dir);
    prepare_data_dir(&data_dir)?;

    let listener = tokio::net::TcpListener::bind(cfg.listen)
        .await
        .with_context(|| format!("binding {}", cfg.listen))?;
    let local = listener.local_addr().context("reading the bound address")?;
    let public_url = cfg
        .raw
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{local}"));
    let public_host = config::public_url_host(&public_url).map_err(anyhow::Error::msg)?;

    let database_url =
        config::DatabaseUrl::effective(&cfg.raw, &data_dir).map_err(anyhow::Error::msg)?;
    let database = Database::open(&database_url).await?;
    let state = AppState::open(&cfg, &data_dir, &database, &public_url, &public_host).await?;
    let app = router(&state);
    state.readiness.set_serving();
    tracing::info!(%local, %public_url, data_dir = %data_dir.display(), database = %database.location(), trust = %state.trust_dir.display(), "cairn is up");
    // The one line on stdout: scripts and tests read the address from it (port 0 picks one).
    let mut stdout = std::io::stdout();
    writeln!(stdout, "listening on http://{local}").context("writing to stdout")?;
    stdout.flush().context("flushing stdout")?;

    let grace = Duration::from_secs(cfg.raw.shutdown_grace_seconds);
    service_kit::server::serve(
        listener,
        app,
        state.readiness.clone(),
        service_kit::server::shutdown_signal(),
        grace,
    )
    .await?;
    tracing::info!("cairn stopped");
    Ok(())
}

/// Create the data directory (owner-only) if it is missing and check that it is writable, so a
/// bad path fails at start rather than at the first write.
fn prepare_data_dir(dir: &std::path::Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("creating data directory {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(dir)
            .with_context(|| format!("reading data directory {}", dir.display()))?;
        if meta.permissions().mode() & 0o077 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .with_context(|| format!("restricting data directory {}", dir.display()))?;
        }
    }
    let probe = dir.join(".write-test");
    std::fs::write(&probe, b"ok")
        .with_context(|| format!("data directory {} is not writable", dir.display()))?;
    std::fs::remove_file(&probe).ok();
    Ok(())
}
