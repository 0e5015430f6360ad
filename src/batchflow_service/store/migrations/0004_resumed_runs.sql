-- Resumed runs: the run each resumes, and the run whose work prefix it reuses. At most one
-- active run may use a work prefix: two Snakemakes writing one prefix corrupt each other.
ALTER TABLE runs ADD COLUMN resumed_from text;
ALTER TABLE runs ADD COLUMN reuses_work_of text;
CREATE UNIQUE INDEX runs_one_active_run_per_work_prefix ON runs (reuses_work_of)
    WHERE reuses_work_of IS NOT NULL
      AND state IN ('QUEUED', 'INITIALIZING', 'RUNNING', 'CANCELING');
