-- The audit verifier reads token events by type (TokenIndexCheck); applied to an existing store,
-- this migration is also where the gateway records the tokens it finds in the chain (TokenAdoption).
CREATE INDEX ix_events_type ON events (type);
