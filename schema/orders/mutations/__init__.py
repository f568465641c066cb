"""Order mutations by workflow: `workflow` (create, edit, every status step, notes) and
`intake` (channel imports, re-orders); each module holds its payload types."""
