//! Helpers shared by the integration tests: proptest strategies for valid packets of every
//! type and version, the conversion of borrowed packets to owned ones for comparison, and the parser of
//! the packet vector files.

#![allow(dead_code)]

pub mod owned;
pub mod strategies;
pub mod vectors;
