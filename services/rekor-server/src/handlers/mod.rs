//! One module per resource; each handler is extract → validate (pure crates) → log → respond.

pub(crate) mod entries;
pub(crate) mod index;
pub(crate) mod log;
