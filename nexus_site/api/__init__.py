"""The API base every app builds on: error handler, pagination, permissions."""
