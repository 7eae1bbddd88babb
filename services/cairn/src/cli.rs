//! Command-line interface. Flags are the last configuration layer (see `config`).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Cairn: a self-hosted Sigstore stack (Fulcio-compatible CA, CT log, Rekor-compatible
/// transparency log, RFC 3161 TSA) in one binary.
#[derive(Debug, Parser)]
#[command(name = "cairn", version, about, propagate_version = true)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run the whole stack on one listener.
    Up(UpArgs),
    /// Inspect configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Load generators for a running server.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Development helpers.
    #[command(subcommand)]
    Dev(DevCommand),
    /// Sign a file into a Sigstore bundle: keyless (Fulcio certificate for an OIDC identity)
    /// or with --key; logged in Rekor, time-stamped when a TSA is configured.
    Sign(crate::client::sign::SignArgs),
    /// Sign an in-toto statement about a file (DSSE envelope) into a Sigstore bundle.
    Attest(crate::client::sign::AttestArgs),
    /// Verify a Sigstore bundle offline against a trusted root. Exit 0 only if it holds.
    Verify(crate::client::verify::VerifyArgs),
    /// Read and audit a Rekor log (get, search, verify-consistency).
    #[command(subcommand)]
    Log(crate::client::log::LogCommand),
}

#[derive(Debug, Subcommand)]
pub(crate) enum DevCommand {
    /// Print an ID token from the development OIDC issuer of a server started with `--dev`.
    Token(crate::dev_oidc::TokenArgs),
}

#[derive(Debug, Subcommand)]
pub(crate) enum BenchCommand {
    /// Append distinct, valid hashedrekord entries over HTTP and report entries/s and latency,
    /// next to this machine's raw ECDSA P-256 verify rate.
    Rekor(crate::bench::rekor::RekorBenchArgs),
    /// Issue certificates over HTTP (fresh key and proof of possession each) and report
    /// certificates/s and latency, next to the crypto floor of one certificate.
    Fulcio(crate::bench::fulcio::FulcioBenchArgs),
    /// Request RFC 3161 timestamps over HTTP and report timestamps/s and latency, next to the
    /// raw P-256 signing rate.
    Tsa(crate::bench::tsa::TsaBenchArgs),
}

#[derive(Debug, Subcommand)]
pub(crate) enum ConfigCommand {
    /// Print the effective configuration (defaults, then file, then CAIRN_ environment, then
    /// flags) as TOML, after validation.
    Show(ServerFlags),
}

/// Flags shared by `up` and `config show`; each overrides the file and the environment.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct ServerFlags {
    /// Configuration file (TOML). Without it, defaults and CAIRN_ environment variables apply.
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// Directory for keys, databases and trust files [default: ./cairn-data].
    #[arg(long, value_name = "DIR")]
    pub(crate) data_dir: Option<PathBuf>,
    /// Address to listen on, HOST:PORT [default: 127.0.0.1:3000]. Port 0 picks a free port.
    #[arg(long, value_name = "HOST:PORT")]
    pub(crate) listen: Option<String>,
    #[arg(
        long,
        value_name = "URL",
        help = "Database: sqlite://PATH or postgres://USER@HOST/DB [default: sqlite://DATA_DIR/cairn.db]"
    )]
    pub(crate) database_url: Option<String>,
    #[arg(
        long,
        value_name = "URL",
        help = "Base URL clients reach this server at [default: http://LISTEN]"
    )]
    pub(crate) public_url: Option<String>,
    /// Log line format: text or json [default: text].
    #[arg(long, value_name = "FORMAT")]
    pub(crate) log_format: Option<String>,
    /// Trust this OpenID provider's e-mail tokens (audience `sigstore`); repeatable. Adds to
    /// the `[[oidc.issuers]]` of the configuration.
    #[arg(long = "oidc-issuer", value_name = "URL")]
    pub(crate) oidc_issuers: Vec<String>,
    /// Serve and trust the built-in development OIDC issuer (`cairn dev token` gets tokens
    /// from it). Never in production.
    #[arg(long)]
    pub(crate) dev: bool,
}

#[derive(Debug, Args)]
pub(crate) struct UpArgs {
    #[command(flatten)]
    pub(crate) flags: ServerFlags,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn up_accepts_documented_flags() {
        let cli = Cli::try_parse_from([
            "cairn",
            "up",
            "--data-dir",
            "/tmp/x",
            "--listen",
            "127.0.0.1:0",
            "--config",
            "c.toml",
        ])
        .expect("documented flags parse");
        let Command::Up(args) = cli.command else {
            panic!("expected up");
        };
        assert_eq!(args.flags.listen.as_deref(), Some("127.0.0.1:0"));
        assert_eq!(args.flags.data_dir, Some(PathBuf::from("/tmp/x")));
        assert_eq!(args.flags.config, Some(PathBuf::from("c.toml")));
    }
}
