"""Feature-scoped expected output: one minimal spec per feature, every backend's spelling."""
