"""The FHIR interface's use cases: each reads or writes through the same rules as the REST API's (need-to-know,
consent filter, access log, the lifecycle table) and hands the rows to the mappers in `referral_service/fhir/`."""
