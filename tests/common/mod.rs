//! Helpers shared by the integration tests: proptest strategies for valid packets of every
//! type and version, and the parser of the packet vector files.

#![allow(dead_code)]

pub mod strategies;
pub mod vectors;
