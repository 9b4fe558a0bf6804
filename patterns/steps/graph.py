"""Step types (filled in by the step-type work)."""
