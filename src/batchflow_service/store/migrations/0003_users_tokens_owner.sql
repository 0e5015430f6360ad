-- Who submitted each run; users, their personal access tokens, and the service's own secrets.
ALTER TABLE runs ADD COLUMN owner text;
CREATE INDEX runs_by_owner ON runs (owner, created_at DESC, id DESC);

CREATE TABLE users (
    name          text PRIMARY KEY,
    role          text NOT NULL,
    password_hash text,
    disabled      boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL
);

CREATE TABLE personal_tokens (
    id            text PRIMARY KEY,
    owner         text NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    name          text NOT NULL,
    secret_sha256 text NOT NULL,
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL
);
CREATE INDEX personal_tokens_by_owner ON personal_tokens (owner, created_at);

CREATE TABLE service_secrets (
    name  text PRIMARY KEY,
    value text NOT NULL
);
