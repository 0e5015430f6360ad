"""The local AWS's state on disk, under `<workdir>/state/`: S3 buckets and objects, Batch
resources and jobs, Logs groups, streams and events, and the job processes that are running.

Each part is written as it changes and read back at the next start on the same work
directory; docs/local.md ("What the local AWS keeps") says what is kept and what is not."""
