"""The background work that closes the loop: the outbox relay, an event's consequences, the deadline
sweeps and the reconciler."""
