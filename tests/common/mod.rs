//! Helpers shared by the integration tests: proptest strategies for valid packets of every
//! type and version, the parser of the packet vector files, a scripted server for the client
//! session and a scripted client for the server session.

#![allow(dead_code)]

pub mod scripted;
pub mod scripted_client;
pub mod strategies;
pub mod vectors;
