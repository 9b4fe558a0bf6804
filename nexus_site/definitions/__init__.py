"""Domain definitions shared by every app: enums and constants, kept in one place."""
