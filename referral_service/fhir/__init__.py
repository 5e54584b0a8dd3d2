"""FHIR R4 (4.0.1) as a projection of the model: pure mappers from our rows to FHIR JSON, and back for what a journal
system may send (`../shared/FHIR.md` is the design note). No tables of their own; `api/fhir/` serves them."""
