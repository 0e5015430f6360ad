"""AWS Batch's SubmitJob quotas, which cannot be raised (the Batch user guide, "service
quotas"): the local AWS enforces them, the executor keeps within them."""

MAX_SUBMIT_JOB_BYTES = 30 * 1024
SUBMIT_JOBS_PER_SECOND = 50
