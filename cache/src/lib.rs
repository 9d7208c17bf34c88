//! One watch and one in-memory store per kind per process, shared by the Director and the
//! controllers: objects are held once (as `Arc`s, without `managedFields`), found through the
//! lookups the Director's queries need, and fanned out to the controllers' triggers.

mod feed;
mod index;
pub mod kinds;
mod lean;
mod shared;
mod watches;

pub use feed::{Change, Task};
pub use index::{ExtraKeys, Indexing, Tags, Window};
pub use shared::{Cached, READ_YOUR_WRITES, Shared};
pub use watches::Watches;
