//! Scenarios, as the original Director knew them: not a type of their own but the `scenarios`
//! label definition, whose enum lists the tenant's Scenario objects. This module is its shape
//! (`types`), the check of a new enum (`inputs`) and the definition the label definition queries
//! show (`query`). Changing the enum writes Scenario objects on behalf of a label definition
//! mutation, so that write lives in the shared `scenario_list`; which objects are in which
//! scenario is `scenario_membership`.

pub mod inputs;
pub mod query;
pub mod types;
