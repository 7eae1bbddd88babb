//! signed-note
