from batchflow_aws.jobnames import job_name


def test_job_names_are_valid_batch_names_led_by_their_run() -> None:
    assert job_name("call.variants", 12, "0123456789abcdef") == "bf-0123456789ab-call-variants-12"
    long_name = job_name("x" * 200, 1, "run")
    assert len(long_name) == 128
    assert long_name.startswith("bf-run-")
