//! The client subcommands: `cairn sign`, `cairn attest`, `cairn verify` and `cairn log`.
//!
//! Each returns `anyhow::Result<()>`; [`finish`] turns the result into the process exit code
//! and the one-line `cairn: error: …` message: 0 on success, [`EXIT_FAILURE`] for every
//! failure (bad input, unreachable server, failed verification), and [`EXIT_LOG_MISBEHAVIOUR`]
//! when `cairn log verify-consistency` caught the log forking or rolling back.

pub(crate) mod log;
pub(crate) mod sign;
pub(crate) mod verify;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

/// Exit code of every failure except log misbehaviour.
pub(crate) const EXIT_FAILURE: u8 = 1;
/// Exit code when a log forked, rolled back or failed a consistency proof.
pub(crate) const EXIT_LOG_MISBEHAVIOUR: u8 = 3;

/// Where `cairn up` writes the trusted root by default (`./cairn-data/trust/trusted_root.json`),
/// used by `cairn verify` and `cairn log` when `--trusted-root` is not given.
pub(crate) const DEFAULT_TRUSTED_ROOT: &str = "cairn-data/trust/trusted_root.json";

/// Largest trust file read (trusted root, trust config), in bytes.
const MAX_TRUST_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Print the error on one line and pick the exit code.
pub(crate) fn finish(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("cairn: error: {}", one_line(&message(&err)));
            ExitCode::from(exit_code(&err))
        }
    }
}

/// [`EXIT_LOG_MISBEHAVIOUR`] if a cause is a log misbehaving, else [`EXIT_FAILURE`].
fn exit_code(err: &anyhow::Error) -> u8 {
    let misbehaving = err.chain().any(|cause| {
        cause
            .downcast_ref::<sigstore_client::AuditError>()
            .is_some_and(sigstore_client::AuditError::is_log_misbehaviour)
    });
    if misbehaving {
        EXIT_LOG_MISBEHAVIOUR
    } else {
        EXIT_FAILURE
    }
}

/// The cause chain joined by ": ", skipping a cause whose text the previous one already ends
/// with (libraries that print their source inside their own message).
fn message(err: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if text.is_empty() || parts.last().is_some_and(|last| last.ends_with(&text)) {
            continue;
        }
        parts.push(text);
    }
    parts.join(": ")
}

/// `text` with line breaks and other control characters replaced by spaces.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A current-thread runtime for one client command.
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// Read a whole file of at most `limit` bytes.
pub(crate) fn read_bounded(path: &Path, limit: u64, what: &str) -> anyhow::Result<Vec<u8>> {
    let file = std::fs::File::open(path)
        .with_context(|| format!("cannot read {what} {}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {what} {}", path.display()))?;
    if bytes.len() as u64 > limit {
        anyhow::bail!("{what} {} is larger than {limit} bytes", path.display());
    }
    Ok(bytes)
}

/// Read a whole file (an artifact: no size limit but the memory).
pub(crate) fn read_artifact(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Load a `trusted_root.json`.
pub(crate) fn load_trusted_root(path: &Path) -> anyhow::Result<trust_root::TrustedRoot> {
    let bytes = read_bounded(path, MAX_TRUST_FILE_BYTES, "trusted root")?;
    trust_root::TrustedRoot::from_json(&bytes)
        .with_context(|| format!("trusted root {}", path.display()))
}

/// Load a ClientTrustConfig (`trust_config.json`).
pub(crate) fn load_trust_config(path: &Path) -> anyhow::Result<trust_root::ClientTrustConfig> {
    let bytes = read_bounded(path, MAX_TRUST_FILE_BYTES, "trust config")?;
    trust_root::ClientTrustConfig::from_json(&bytes)
        .with_context(|| format!("trust config {}", path.display()))
}

/// `--trusted-root`, or the default file `cairn up` writes into `./cairn-data` when it exists.
pub(crate) fn trusted_root_path(given: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(path) = given {
        return Ok(path.to_owned());
    }
    let default = PathBuf::from(DEFAULT_TRUSTED_ROOT);
    if default.is_file() {
        return Ok(default);
    }
    anyhow::bail!(
        "no trusted root: pass --trusted-root FILE (cairn up writes it to \
         DATA_DIR/trust/trusted_root.json; ./{DEFAULT_TRUSTED_ROOT} is used when present)"
    )
}

/// Write `bytes` to `path` atomically (temporary file in the same directory, then rename).
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let name = path
        .file_name()
        .with_context(|| format!("{} is not a file path", path.display()))?;
    let mut tmp_name = name.to_os_string();
    tmp_name.push(format!(".tmp-{}", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let written = (|| -> std::io::Result<()> {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(err) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(err).with_context(|| format!("cannot write {}", path.display()));
    }
    Ok(())
}

/// Unix seconds now.
pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Write `text` and a newline to stdout. A closed pipe (`cairn log get … | head`) is not an
/// error.
pub(crate) fn print_line(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(err).context("writing to stdout")
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    #[test]
    fn exit_codes_and_messages() {
        let rollback = anyhow::Error::new(sigstore_client::AuditError::Rollback {
            stored: 9,
            current: 3,
        })
        .context("auditing");
        assert_eq!(exit_code(&rollback), EXIT_LOG_MISBEHAVIOUR);
        let offline = anyhow::anyhow!("cannot reach x").context("auditing");
        assert_eq!(exit_code(&offline), EXIT_FAILURE);
        // A library that repeats its source inside its own message is printed once.
        #[derive(Debug)]
        struct Repeats(std::io::Error);
        impl std::fmt::Display for Repeats {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "outer: {}", self.0)
            }
        }
        impl std::error::Error for Repeats {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let err = anyhow::Error::new(Repeats(std::io::Error::other("inner"))).context("reading");
        assert_eq!(message(&err), "reading: outer: inner");
        assert_eq!(one_line("a\nb\tc"), "a b c");
    }

    fn parse(args: &[&str]) -> Result<Command, clap::Error> {
        Cli::try_parse_from(std::iter::once("cairn").chain(args.iter().copied()))
            .map(|cli| cli.command)
    }

    #[test]
    fn client_flags() {
        assert!(matches!(
            parse(&["sign", "--trust-config", "t.json", "--bundle", "b", "f"]),
            Ok(Command::Sign(_))
        ));
        assert!(
            parse(&[
                "sign",
                "--trust-config",
                "t",
                "--rekor-url",
                "u",
                "--bundle",
                "b",
                "f"
            ])
            .is_err()
        );
        assert!(parse(&["sign", "f"]).is_err(), "--bundle is required");
        assert!(matches!(
            parse(&[
                "attest",
                "--type",
                "slsaprovenance1",
                "--predicate",
                "p",
                "--bundle",
                "b",
                "f"
            ]),
            Ok(Command::Attest(_))
        ));
        assert!(
            parse(&["attest", "--predicate", "p", "--bundle", "b", "f"]).is_err(),
            "a predicate type is required"
        );
        assert!(matches!(
            parse(&["verify", "--bundle", "b", "--key", "k.pem", "sha256:00"]),
            Ok(Command::Verify(_))
        ));
        assert!(matches!(
            parse(&[
                "verify",
                "--bundle",
                "b",
                "--certificate-identity",
                "a@b",
                "--certificate-oidc-issuer",
                "https://i",
                "f"
            ]),
            Ok(Command::Verify(_))
        ));
        assert!(
            parse(&["verify", "--bundle", "b", "f"]).is_err(),
            "a signer is required"
        );
        assert!(
            parse(&[
                "verify",
                "--bundle",
                "b",
                "--certificate-identity",
                "a@b",
                "f"
            ])
            .is_err(),
            "an identity needs an issuer"
        );
        assert!(
            parse(&[
                "verify",
                "--bundle",
                "b",
                "--key",
                "k",
                "--certificate-oidc-issuer",
                "i",
                "f"
            ])
            .is_err()
        );
        assert!(matches!(
            parse(&["log", "get", "--rekor-url", "u", "--uuid", "x"]),
            Ok(Command::Log(_))
        ));
        assert!(parse(&["log", "get", "--rekor-url", "u"]).is_err());
        assert!(
            parse(&[
                "log",
                "search",
                "--rekor-url",
                "u",
                "--email",
                "a",
                "--sha256",
                "b"
            ])
            .is_err()
        );
        assert!(parse(&["log", "verify-consistency", "--rekor-url", "u"]).is_err());
        assert!(matches!(
            parse(&[
                "log",
                "verify-consistency",
                "--rekor-url",
                "u",
                "--public-key",
                "k",
                "--state-file",
                "s"
            ]),
            Ok(Command::Log(_))
        ));
    }
}
