//! Generated figures.

pub mod prisma;
