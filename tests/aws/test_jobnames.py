from batchflow_aws.jobnames import job_name


def test_job_names_are_valid_batch_names_led_by_their_run() -> None:
    assert job_name("call.variants", 12, "0123456789abcdef") == "bf-0123456789ab-call-variants-12"
    long_name = job_name("x" * 200, 1, "run")
    assert len(long_name) == 128
    assert long_name.startswith("bf-run-")


def test_a_long_group_name_keeps_the_whole_group_job_id() -> None:
    group_id = "3f1c2d4e-0a9b-5c8d-9e7f-1234567890ab"
    rules = "per_sample_" + "_".join(f"step{i}_with_a_long_rule_name" for i in range(5))

    name = job_name(rules, group_id, "run")

    assert len(name) == 128
    assert name.startswith("bf-run-per_sample_step0")
    assert name.endswith(f"-{group_id}")
