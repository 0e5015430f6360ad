CREATE TABLE runs (
    id          text PRIMARY KEY,
    name        text,
    workflow    text NOT NULL,
    engine      text NOT NULL,
    params      jsonb NOT NULL DEFAULT '{}',
    tags        jsonb NOT NULL DEFAULT '{}',
    state       text NOT NULL,
    reason      text,
    created_at  timestamptz NOT NULL,
    started_at  timestamptz,
    ended_at    timestamptz,
    outputs     jsonb NOT NULL DEFAULT '{}',
    head_job_id text,
    uploaded    boolean NOT NULL DEFAULT false,
    request     jsonb NOT NULL DEFAULT '{}',
    log_lines   bigint NOT NULL DEFAULT 0
);
CREATE INDEX runs_newest_first ON runs (created_at DESC, id DESC);
CREATE INDEX runs_by_state ON runs (state);
CREATE INDEX runs_by_tags ON runs USING gin (tags jsonb_path_ops);

CREATE TABLE tasks (
    run_id       text NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    id           text NOT NULL,
    seq          bigint GENERATED ALWAYS AS IDENTITY,
    name         text NOT NULL,
    state        text NOT NULL,
    attempt      integer NOT NULL,
    wildcards    jsonb NOT NULL DEFAULT '{}',
    batch_job_id text,
    exit_code    integer,
    reason       text,
    log_stream   text,
    created_at   timestamptz NOT NULL,
    started_at   timestamptz,
    ended_at     timestamptz,
    PRIMARY KEY (run_id, id)
);
CREATE INDEX tasks_in_creation_order ON tasks (run_id, seq);

CREATE TABLE run_log_lines (
    run_id  text NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    line_no bigint NOT NULL,
    line    text NOT NULL,
    PRIMARY KEY (run_id, line_no)
);
