//! The Director's GraphQL types, named and shaped as in the original schema.

pub mod auth;
pub mod system;
