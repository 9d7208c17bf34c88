//! The `SystemAuth` type: one client identity as the Director shows it.

use async_graphql::SimpleObject;

use crate::director::auth::Auth;

/// One client identity of an application, runtime or integration system.
#[derive(Clone, Debug, PartialEq, SimpleObject)]
pub struct SystemAuth {
    /// Its id: the client id and certificate common name.
    pub id: async_graphql::ID,
    /// The credential issued to it, when it was issued through this API.
    pub auth: Option<Auth>,
}

impl crate::director::plain::Plain for SystemAuth {}
