"""The child as the worklists find it."""
