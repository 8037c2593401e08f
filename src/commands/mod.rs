//! The command-line drivers.

pub mod new;
pub mod publish;
pub mod serve;
