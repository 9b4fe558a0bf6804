"""Pure document engines: content schemas, diffs and Office import/export."""
