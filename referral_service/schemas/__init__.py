"""Marshmallow request and response shapes of the API, written by hand: the contract, not the tables."""
