"""`batchflow local`: AWS Batch, CloudWatch Logs and S3 on one loopback port, jobs as processes.

Entry points: `server.LocalAwsServer(config.LocalAwsConfig(...))`, and `embedded.start_local_aws()`
for a program that carries its own local AWS. This module imports nothing, so reading the
configuration's defaults stays cheap.
"""
