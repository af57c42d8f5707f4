//! Helpers shared by the integration tests: proptest strategies for valid packets of every
//! type and version, the parser of the packet vector files, a scripted server for the client
//! session, a scripted client for the server session, and the two sessions joined in memory.

#![allow(dead_code)]

pub mod pair;
pub mod scripted;
pub mod scripted_client;
pub mod strategies;
pub mod vectors;
#[cfg(feature = "broker")]
pub mod world;
