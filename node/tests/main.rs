//! End-to-end tests of `ehr-node`: real node processes on loopback, started by `ehr-testing`.
//!
//! One module a scenario, all in one test binary (linked once). `scripts/test.sh` runs each
//! module as its own suite (`e2e <module>::`), so that the scenarios that start networks run in
//! parallel lanes; `cargo test -p ehr-node --test e2e <module>::` runs one by hand.

mod bad_input;
mod consent;
mod consortium_network;
mod dev_node;
mod docker_files;
mod faults;
mod local_network;
mod no_phi;
mod records;
mod rpc_docs;
mod upgrade;
