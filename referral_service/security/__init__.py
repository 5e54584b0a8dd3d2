"""Authentication, need-to-know rules and the access log."""
