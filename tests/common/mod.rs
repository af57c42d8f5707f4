//! Helpers shared by the integration tests: proptest strategies for valid packets of every
//! type and version.

#![allow(dead_code)]

pub mod strategies;
