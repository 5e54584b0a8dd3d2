"""Organisations, users, sign-in, the access log's reading and the operations view."""
