//! Client identities: SystemAuth objects naming the application, runtime or integration system
//! they identify. They are shown as the `auths` of their subject and removed by
//! `deleteSystemAuthFor*`.

mod mutation;
mod query;
mod types;

pub use mutation::SystemAuthMutation;
pub use query::auths_of;
pub use types::SystemAuth;
