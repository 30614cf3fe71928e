//! Tests of the real runtime, natively, on state built from its genesis presets (no node).
//!
//! One module a subject, all in one test binary (linked once); `common` holds the helpers.

mod common;

mod access_log;
mod authorization;
mod consent;
mod council;
mod genesis;
mod records;
mod sessions;
mod weights;
