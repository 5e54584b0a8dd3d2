"""Handover tasks: creating the one task for a decision, and the steps of working on it."""
