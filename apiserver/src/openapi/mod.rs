//! The OpenAPI v3 documents kubectl reads to validate and explain objects.
