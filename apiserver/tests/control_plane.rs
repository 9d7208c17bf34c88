//! The embedded control plane's tests, one module per area, in one test binary (a binary per
//! area cost a link of the whole dependency tree each). `history_memory` stays a binary of its
//! own: it reads its process's resident memory.

mod apply;
mod authn;
mod cel_budget;
mod controller;
mod fidelity;
mod gadget_crd;
mod hardening;
mod invalid;
mod kube_runtime;
mod kubectl;
mod kubectl_crds;
mod lifecycle;
mod listener_limits;
mod observe;
mod rbac;
mod rbac_bypasses;
mod restart;
mod smoke;
mod stored_workloads;
mod test_server;
mod unseen_crd;
mod unseen_crd_rules;
mod unseen_crd_status;
