-- Each gateway process says it is alive here (OrphanedSessions), and each session names the
-- process that relays it: with a PostgreSQL store shared by several gateways, a session whose
-- gateway stopped answering can then be told from one that is live.
-- Each gateway says how long after seen_at it is to be taken for dead (dead_after, ms): its own
-- heartbeat decides, not the settings of the gateway that looks.
CREATE TABLE gateway_nodes (
    id          TEXT PRIMARY KEY,
    started_at  BIGINT NOT NULL,
    seen_at     BIGINT NOT NULL,
    dead_after  BIGINT NOT NULL
);

ALTER TABLE sessions ADD COLUMN node TEXT NULL;
CREATE INDEX ix_sessions_open ON sessions (node) WHERE ended_at IS NULL;
