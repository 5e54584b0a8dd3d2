"""Alerts: raising them, who gets them, the inbox, and delivering their e-mail."""
