import pytest
from botocore.exceptions import ClientError


@pytest.fixture
def stream(logs, request) -> tuple[str, str]:
    group = f"/test/{request.node.name}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="main")
    logs.put_log_events(
        logGroupName=group,
        logStreamName="main",
        logEvents=[{"timestamp": 1_000 + i, "message": f"line {i}"} for i in range(10)],
    )
    return group, "main"


def code_of(call, **kwargs) -> str:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return raised.value.response["Error"]["Code"]


def test_create_twice_is_resource_already_exists(logs, stream) -> None:
    group, name = stream

    assert code_of(logs.create_log_group, logGroupName=group) == "ResourceAlreadyExistsException"
    assert (
        code_of(logs.create_log_stream, logGroupName=group, logStreamName=name)
        == "ResourceAlreadyExistsException"
    )


def test_unknown_group_and_stream_are_not_found(logs, stream) -> None:
    group, _ = stream

    assert code_of(logs.create_log_stream, logGroupName="/nope", logStreamName="s") == (
        "ResourceNotFoundException"
    )
    assert code_of(logs.get_log_events, logGroupName=group, logStreamName="nope") == (
        "ResourceNotFoundException"
    )


def test_invalid_names_are_invalid_parameters(logs) -> None:
    assert code_of(logs.create_log_group, logGroupName="bad name") == "InvalidParameterException"


def test_get_log_events_reads_the_tail_by_default(logs, stream) -> None:
    group, name = stream

    tail = logs.get_log_events(logGroupName=group, logStreamName=name, limit=3)

    assert [e["message"] for e in tail["events"]] == ["line 7", "line 8", "line 9"]


def test_get_log_events_pages_forward_to_the_end(logs, stream) -> None:
    group, name = stream
    seen, token = [], None
    for _ in range(10):
        kwargs = {"nextToken": token} if token else {"startFromHead": True}
        page = logs.get_log_events(logGroupName=group, logStreamName=name, limit=4, **kwargs)
        seen += [e["message"] for e in page["events"]]
        if page["nextForwardToken"] == token:
            break
        token = page["nextForwardToken"]

    assert seen == [f"line {i}" for i in range(10)]


def test_get_log_events_pages_backward(logs, stream) -> None:
    group, name = stream
    tail = logs.get_log_events(logGroupName=group, logStreamName=name, limit=4)

    before = logs.get_log_events(
        logGroupName=group, logStreamName=name, limit=4, nextToken=tail["nextBackwardToken"]
    )
    assert [e["message"] for e in before["events"]] == [f"line {i}" for i in range(2, 6)]


def test_get_log_events_honours_the_time_window(logs, stream) -> None:
    group, name = stream

    window = logs.get_log_events(
        logGroupName=group, logStreamName=name, startTime=1_002, endTime=1_004, startFromHead=True
    )
    assert [e["message"] for e in window["events"]] == ["line 2", "line 3", "line 4"]


def test_bad_token_is_an_invalid_parameter(logs, stream) -> None:
    group, name = stream

    assert code_of(
        logs.get_log_events, logGroupName=group, logStreamName=name, nextToken="f/not-a-number"
    ) == ("InvalidParameterException")


def test_filter_log_events_matches_terms_across_streams(logs, stream) -> None:
    group, _ = stream
    logs.create_log_stream(logGroupName=group, logStreamName="other")
    logs.put_log_events(
        logGroupName=group,
        logStreamName="other",
        logEvents=[
            {"timestamp": 1_005, "message": "ERROR disk full"},
            {"timestamp": 1_006, "message": "ERROR retrying"},
        ],
    )

    errors = logs.filter_log_events(logGroupName=group, filterPattern="ERROR -retrying")
    either = logs.filter_log_events(logGroupName=group, filterPattern="?full ?retrying")
    phrase = logs.filter_log_events(logGroupName=group, filterPattern='"line 3"')
    assert [e["message"] for e in errors["events"]] == ["ERROR disk full"]
    assert [e["logStreamName"] for e in errors["events"]] == ["other"]
    assert len(either["events"]) == 2
    assert [e["message"] for e in phrase["events"]] == ["line 3"]


def test_filter_log_events_pages_in_time_order(logs, stream) -> None:
    group, _ = stream

    pages = logs.get_paginator("filter_log_events").paginate(
        logGroupName=group, PaginationConfig={"PageSize": 3}
    )
    messages = [e["message"] for page in pages for e in page["events"]]
    assert messages == [f"line {i}" for i in range(10)]


def test_json_filter_patterns_are_refused_clearly(logs, stream) -> None:
    group, _ = stream

    with pytest.raises(ClientError) as raised:
        logs.filter_log_events(logGroupName=group, filterPattern="{ $.level = 1 }")
    assert "not supported" in raised.value.response["Error"]["Message"]


def test_describe_log_streams_orders_and_pages(logs, stream) -> None:
    group, _ = stream
    for name in ("b", "a"):
        logs.create_log_stream(logGroupName=group, logStreamName=name)

    pages = logs.get_paginator("describe_log_streams").paginate(
        logGroupName=group, PaginationConfig={"PageSize": 2}
    )
    names = [s["logStreamName"] for page in pages for s in page["logStreams"]]
    newest = logs.describe_log_streams(
        logGroupName=group, orderBy="LastEventTime", descending=True, limit=1
    )
    prefixed = logs.describe_log_streams(logGroupName=group, logStreamNamePrefix="m")
    assert names == ["a", "b", "main"]
    assert newest["logStreams"][0]["logStreamName"] == "main"
    assert newest["logStreams"][0]["lastEventTimestamp"] == 1_009
    assert [s["logStreamName"] for s in prefixed["logStreams"]] == ["main"]


def test_describe_log_groups_by_prefix(logs, stream) -> None:
    group, _ = stream

    found = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    assert [g["logGroupName"] for g in found] == [group]


@pytest.mark.parametrize(
    "read",
    [
        ("describe_log_streams", {}),
        ("filter_log_events", {}),
        ("get_log_events", {"logStreamName": "main"}),
    ],
    ids=lambda read: read[0],
)
def test_a_read_without_a_log_group_is_an_invalid_parameter(logs, read) -> None:
    operation, params = read

    with pytest.raises(ClientError) as raised:
        getattr(logs, operation)(**params)

    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert raised.value.response["Error"]["Code"] == "InvalidParameterException"
    assert "logGroupName or logGroupIdentifier" in raised.value.response["Error"]["Message"]


def test_reads_find_the_group_by_identifier_name_or_arn(logs, stream) -> None:
    group, name = stream
    [described] = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]

    by_name = logs.describe_log_streams(logGroupIdentifier=group)["logStreams"]
    by_arn = logs.get_log_events(
        logGroupIdentifier=described["logGroupArn"], logStreamName=name, limit=1
    )["events"]
    both = code_of(
        logs.filter_log_events, logGroupName=group, logGroupIdentifier=described["logGroupArn"]
    )

    assert [s["logStreamName"] for s in by_name] == [name]
    assert [e["message"] for e in by_arn] == ["line 9"]
    assert both == "InvalidParameterException"
