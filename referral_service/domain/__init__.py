"""The domain: tables, enums, identity numbers and pure value rules."""
