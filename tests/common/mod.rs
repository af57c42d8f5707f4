//! Helpers shared by the integration tests: proptest strategies for valid packets of every
//! type and version, and the conversion of borrowed packets to owned ones for comparison.

#![allow(dead_code)]

pub mod owned;
pub mod strategies;
