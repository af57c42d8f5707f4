//! Helpers shared by the integration tests: proptest strategies for valid packets of every
//! type and version, the parser of the packet vector files, and a scripted server for the
//! client session.

#![allow(dead_code)]

pub mod scripted;
pub mod strategies;
pub mod vectors;
#[cfg(feature = "broker")]
pub mod world;
