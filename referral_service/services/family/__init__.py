"""The family side: sign-in with ID-porten, the family page, letters, "Vi har ikke hørt noe" and the young person's
own words."""
