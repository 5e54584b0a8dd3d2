"""Helpers for the tests: real servers on loopback, factories, API clients."""
