#![doc = include_str!("../README.md")]

pub mod body;
pub mod error;
pub mod health;
pub mod keyfile;
pub mod metrics;
pub mod server;
pub mod telemetry;
