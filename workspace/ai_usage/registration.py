def register() -> None:
    """Register this sub-domain's models and relationship types with the relations engine.

    Nothing to register: an AI interaction takes no part in the graph. Who sees it follows
    from its user and its project (workspace.ai_usage.selectors), so recording a call never
    writes a relationship and a month of calls stays cheap.
    """
