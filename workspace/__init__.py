"""Documents, files, mail, chat and AI usage: the workspace of Nexus."""
