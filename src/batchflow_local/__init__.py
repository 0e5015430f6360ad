"""`batchflow local`: AWS Batch, CloudWatch Logs and S3 on one loopback port, jobs as processes.

Entry points: `server.LocalAwsServer(config.LocalAwsConfig(...))`, in this process; and
`embedded.start_local_aws(state_dir, ...)` for a program that runs its own local AWS as a
process of its own (`detached.py`) with a lease. This module imports nothing, so reading the
configuration's defaults stays cheap.
"""
