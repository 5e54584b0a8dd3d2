"""Use cases: one function each; load, apply the workflow, log access, commit once."""
