"""The child's case: every referral, decision, piece of advice, handover and follow-up of one child, in time
order, as the reader may see it (a read model over referral_event and handover_event)."""
