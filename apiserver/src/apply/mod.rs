//! Server-side apply: merging applied configurations and tracking field ownership in `metadata.managedFields`.
