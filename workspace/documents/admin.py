"""Staff screens."""
