"""Referral use cases: drafts, the lifecycle's actions, the referral page, consent changes."""
