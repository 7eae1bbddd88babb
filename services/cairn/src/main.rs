//! `cairn`: the one binary of the Cairn stack.
//!
//! `cairn up` runs every server on one listener; later subcommands (the client) live here too.

mod app;
mod authority;
mod bench;
mod cli;
mod client;
mod config;
mod database;
mod dev_oidc;
mod in_process_ct;
mod trust;
mod up;

use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of glibc's allocator: the server allocates and frees many small buffers per
/// request across threads, and glibc's malloc/free were ~10% of its CPU under `cairn bench rekor`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let result = match cli.command {
        cli::Command::Up(args) => up::run(args),
        cli::Command::Config(cli::ConfigCommand::Show(args)) => config::show(&args),
        cli::Command::Bench(cli::BenchCommand::Rekor(args)) => bench::rekor::run(args),
        cli::Command::Bench(cli::BenchCommand::Fulcio(args)) => bench::fulcio::run(args),
        cli::Command::Bench(cli::BenchCommand::Tsa(args)) => bench::tsa::run(args),
        cli::Command::Dev(cli::DevCommand::Token(args)) => dev_oidc::run_token(args),
        cli::Command::Sign(args) => return client::finish(client::sign::run_sign(args)),
        cli::Command::Attest(args) => return client::finish(client::sign::run_attest(args)),
        cli::Command::Verify(args) => return client::finish(client::verify::run(args)),
        cli::Command::Log(command) => return client::finish(client::log::run(command)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // One line, the whole cause chain: operators read this in a terminal or a unit log.
            eprintln!("cairn: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
