"""The rules of the domain as tables and pure functions: lifecycle, consent, deadlines."""
