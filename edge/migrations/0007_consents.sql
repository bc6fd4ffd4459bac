-- The consent record (shared/src/consent.rs): per consent field of the form,
-- whether it was ticked, the exact words shown in the lead's locale, their
-- SHA-256, the playbook version and the time. JSON array; erased with the lead.
ALTER TABLE leads ADD COLUMN consents TEXT;
