import pytest
from snakemake_interface_common.exceptions import WorkflowError

from batchflow_executor.settings import ExecutorSettings, check_ranges


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"submit_rate": 0}, "--batchflow-submit-rate must be more than 0 calls per second, got 0"),
        ({"submit_rate": -5}, "--batchflow-submit-rate must be more than 0 calls per second"),
        ({"array_min_size": 1}, "--batchflow-array-min-size must be between 2 and 10000, got 1"),
        ({"array_min_size": 10_001}, "--batchflow-array-min-size must be between 2 and 10000"),
    ],
)
def test_a_setting_out_of_range_stops_the_run_naming_the_flag(values, message) -> None:
    with pytest.raises(WorkflowError, match=message):
        check_ranges(ExecutorSettings(**values))


def test_the_defaults_and_the_bounds_are_in_range() -> None:
    check_ranges(ExecutorSettings())
    check_ranges(ExecutorSettings(submit_rate=0.5, array_min_size=2))
    check_ranges(ExecutorSettings(array_min_size=10_000))
