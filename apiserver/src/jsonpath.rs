//! The JSONPath dialect of Kubernetes, as printer columns use it.
