"""Pure functions of the local AWS, tested without a server."""

import pytest

from batchflow_aws.fargate import describe_fargate_choices, fargate_memory_choices
from batchflow_local.errors import AwsError
from batchflow_local.pagination import paginate
from batchflow_local.retry import should_retry
from batchflow_local.runner import MAX_EVENT_BYTES, LineSplitter, exit_code_of
from batchflow_local.scheduler import spot_reclaim_reason, substitute_parameters

SPOT = "Host EC2 (instance i-0123456789abcdef0) terminated."


@pytest.mark.parametrize(
    ("strategy", "attempts", "status_reason", "exit_code", "expected"),
    [
        (None, 1, "Essential container in task exited", 1, False),
        ({"attempts": 3}, 1, "Essential container in task exited", 1, True),
        ({"attempts": 3}, 3, "Essential container in task exited", 1, False),
        (
            {
                "attempts": 3,
                "evaluateOnExit": [
                    {"onStatusReason": "Host EC2*", "action": "RETRY"},
                    {"onReason": "*", "action": "EXIT"},
                ],
            },
            1,
            SPOT,
            None,
            True,
        ),
        (
            {
                "attempts": 3,
                "evaluateOnExit": [
                    {"onStatusReason": "Host EC2*", "action": "RETRY"},
                    {"onExitCode": "*", "action": "EXIT"},
                ],
            },
            1,
            "Essential container in task exited",
            1,
            False,
        ),
        (
            {"attempts": 3, "evaluateOnExit": [{"onExitCode": "137", "action": "EXIT"}]},
            1,
            "Essential container in task exited",
            1,
            True,
        ),
    ],
)
def test_should_retry_follows_the_first_matching_rule(
    strategy, attempts, status_reason, exit_code, expected
) -> None:
    assert should_retry(strategy, attempts, status_reason, None, exit_code) is expected


def test_retry_only_spot_reclaims_the_way_aws_documents_it() -> None:
    strategy = {
        "attempts": 3,
        "evaluateOnExit": [
            {"onStatusReason": "Host EC2*", "action": "RETRY"},
            {"onReason": "*", "action": "EXIT"},
        ],
    }

    assert should_retry(strategy, 1, SPOT, None, None) is True
    assert should_retry(strategy, 1, "Essential container in task exited", None, 1) is False


def test_a_bare_star_matches_a_field_the_attempt_lacks() -> None:
    strategy = {"attempts": 2, "evaluateOnExit": [{"onExitCode": "*", "action": "EXIT"}]}

    assert should_retry(strategy, 1, SPOT, None, None) is False


def test_pagination_resumes_after_the_cursor_even_when_items_are_added() -> None:
    items = ["a", "b", "c", "d"]
    first, token = paginate(items, str, None, 2)
    second, last = paginate(["0", *items], str, token, 2)

    assert (first, second, last) == (["a", "b"], ["c", "d"], None)


def test_pagination_refuses_a_forged_token() -> None:
    with pytest.raises(AwsError):
        paginate(["a"], str, "bm90LWpzb24=", 1)


def test_line_splitter_splits_lines_and_caps_event_size() -> None:
    messages: list[str] = []
    splitter = LineSplitter(messages.append)

    splitter.feed(b"one\ntw")
    splitter.feed(b"o\r\n" + b"x" * (MAX_EVENT_BYTES + 10))
    splitter.close()

    assert messages[:2] == ["one", "two"]
    assert [len(m) for m in messages[2:]] == [MAX_EVENT_BYTES, 10]


def test_exit_code_of_a_signal_is_128_plus_the_signal() -> None:
    assert (exit_code_of(-15), exit_code_of(-9), exit_code_of(3)) == (143, 137, 3)


def test_parameters_replace_only_known_references() -> None:
    command = ["run", "--in=Ref::input", "Ref::missing"]

    assert substitute_parameters(command, {"input": "s3://b/k"}) == [
        "run",
        "--in=s3://b/k",
        "Ref::missing",
    ]


def test_spot_reason_names_an_instance_like_aws() -> None:
    reason = spot_reclaim_reason()

    assert reason.startswith("Host EC2 (instance i-")
    assert reason.endswith(") terminated.")


def test_fargate_table_and_its_explanation() -> None:
    assert fargate_memory_choices(0.25) == (512, 1024, 2048)
    assert fargate_memory_choices(16)[-1] == 122_880
    assert fargate_memory_choices(3) == ()
    assert describe_fargate_choices(1) == "valid memory for 1 vCPU: 2048-8192 MiB in 1024 MiB steps"
