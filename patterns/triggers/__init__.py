"""Triggers: patterns started by events, as their owner, exactly once per matching event.

- ``matching``: whether an event matches a trigger (type, scope through the parent
  hierarchy, payload filter) and the input it gives the run;
- ``firing``: reading committed events (right after commit, and from a cursor for whatever
  was missed), and starting one run per trigger and event, within the chain depth and rate
  limits;
- ``services`` / ``selectors``: creating, changing and listing triggers.
"""
