-- Nextflow runs: the SHA-256 of the per-run secret their weblog events must carry.
ALTER TABLE runs ADD COLUMN weblog_token_sha256 text;
