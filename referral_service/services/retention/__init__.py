"""Retention: what the service deletes or anonymises once a child's case has ended and its period has passed."""
