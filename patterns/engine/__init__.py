"""Pure pattern engine: definitions, validation, references and planning on plain data."""
