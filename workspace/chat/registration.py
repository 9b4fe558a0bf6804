def register() -> None:
    """Register this sub-domain's models and relationship types with the relations engine."""
