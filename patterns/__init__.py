"""Patterns: versioned workflows of dependent steps."""
