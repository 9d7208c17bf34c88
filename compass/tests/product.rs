//! The `compass` binary's tests, one module per area, in one test binary (a binary per area cost
//! a link of the whole dependency tree each). The Cockpit's browser tests stay a binary of their
//! own (`--test cockpit`).

mod agent;
mod apiserver;
mod cli;
mod compass_up;
mod connect;
mod durability;
mod e2e;
mod leadership;
mod provisioner;
