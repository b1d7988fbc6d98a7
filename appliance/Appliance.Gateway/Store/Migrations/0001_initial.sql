-- One schema for PostgreSQL and SQLite: times are Unix milliseconds, ids and JSON are text.

CREATE TABLE tokens (
    id            TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,          -- personal | grant
    user_email    TEXT NOT NULL,
    name          TEXT NULL,
    hash          TEXT NOT NULL UNIQUE,   -- hex SHA-256 of the token; the token itself is never stored
    grant_id      TEXT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NULL,
    revoked_at    BIGINT NULL
);
CREATE INDEX ix_tokens_user ON tokens (user_email);
CREATE INDEX ix_tokens_grant ON tokens (grant_id);

CREATE TABLE requests (
    id               TEXT PRIMARY KEY,
    kind             TEXT NOT NULL,       -- access | command
    connection       TEXT NOT NULL,
    requester        TEXT NOT NULL,
    reason           TEXT NULL,
    duration_seconds BIGINT NOT NULL,
    status           TEXT NOT NULL,
    version          BIGINT NOT NULL,
    min_approvals    BIGINT NOT NULL,
    approver_groups  TEXT NOT NULL,       -- JSON array, a snapshot of the policy at request time
    channel          TEXT NULL,
    created_at       BIGINT NOT NULL,
    pending_until    BIGINT NOT NULL,
    activated_at     BIGINT NULL,
    expires_at       BIGINT NULL,
    ended_at         BIGINT NULL,
    denied_by        TEXT NULL,
    deny_reason      TEXT NULL,
    ended_by         TEXT NULL,
    end_reason       TEXT NULL,
    extension        TEXT NULL,           -- JSON: a pending extension
    command          TEXT NULL,           -- JSON: the statement held for review (kind command)
    updated_at       BIGINT NOT NULL
);
CREATE INDEX ix_requests_status ON requests (status, expires_at);
CREATE INDEX ix_requests_requester ON requests (requester, connection, status);
CREATE INDEX ix_requests_updated ON requests (updated_at);

CREATE TABLE approvals (
    request_id  TEXT NOT NULL,
    round       BIGINT NOT NULL,          -- 0: the request; n: its n-th extension
    approver    TEXT NOT NULL,
    comment     TEXT NULL,
    at          BIGINT NOT NULL,
    PRIMARY KEY (request_id, round, approver)
);

-- The audit log and the outbox's source: one hash chain over every event.
CREATE TABLE events (
    seq          BIGINT PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    type         TEXT NOT NULL,
    occurred_at  BIGINT NOT NULL,
    actor        TEXT NULL,
    connection   TEXT NULL,
    request_id   TEXT NULL,
    session_id   TEXT NULL,
    data         TEXT NOT NULL,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL
);
CREATE INDEX ix_events_request ON events (request_id);
CREATE INDEX ix_events_session ON events (session_id, seq);
CREATE INDEX ix_events_type_time ON events (type, occurred_at);

CREATE TABLE deliveries (
    event_id         TEXT NOT NULL,
    event_seq        BIGINT NOT NULL,
    target           TEXT NOT NULL,        -- the webhook URL
    status           TEXT NOT NULL,        -- pending | delivered | failed
    attempts         BIGINT NOT NULL,
    next_attempt_at  BIGINT NOT NULL,
    lease_until      BIGINT NULL,
    last_error       TEXT NULL,
    PRIMARY KEY (event_id, target)
);
CREATE INDEX ix_deliveries_due ON deliveries (status, next_attempt_at);

CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    user_email   TEXT NOT NULL,
    connection   TEXT NOT NULL,
    grant_id     TEXT NULL,
    client_addr  TEXT NULL,
    application  TEXT NULL,
    started_at   BIGINT NOT NULL,
    ended_at     BIGINT NULL,
    end_reason   TEXT NULL,
    statements   BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX ix_sessions_user ON sessions (user_email, started_at);
CREATE INDEX ix_sessions_connection ON sessions (connection, started_at);

-- People seen through the IdP, so the chatops service can act for them with their IdP groups.
CREATE TABLE idp_users (
    email       TEXT PRIMARY KEY,
    groups      TEXT NOT NULL,
    last_seen   BIGINT NOT NULL
);

-- Chatops keeps its card references and processed event ids here, through the API.
CREATE TABLE chatops_state (
    key         TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE TABLE chatops_claims (
    key         TEXT PRIMARY KEY,
    created_at  BIGINT NOT NULL
);
