def register() -> None:
    """Register this sub-domain's models and relationship types with the relations engine.

    Mail registers none: a mailbox copy belongs to exactly one user and is read through
    ``workspace.mail.selectors`` only. Graph access would let administrators read everyone's
    mail through the API and would need a bcc recipient to appear in the graph; both would
    break mail privacy. Attachments do use the graph: recipients get view edges on the files.
    """
