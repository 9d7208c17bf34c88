//! Validation of objects against structural OpenAPI schemas: types, formats, limits, list types, defaulting, pruning and CEL rules.
