"""What the Snakemake head job makes of Snakemake's output: the first error, the scratch paths
written as the user can read them, each stream kept apart; and the exit codes of its tasks."""

import io
import shutil
import subprocess
import sys
from pathlib import Path

from batchflow_executor.events import TaskEvent
from batchflow_service.engines.snakemake.failure import first_error
from batchflow_service.engines.snakemake.head_output import ScratchPaths, StreamCopy
from batchflow_service.engines.snakemake.tasks import tasks_from_events

DATA = Path(__file__).parent / "data"


def test_the_first_error_is_the_syntax_error_not_snakemakes_crash_after_it(tmp_path) -> None:
    workflow = tmp_path / "workflow"
    shutil.copytree(DATA / "broken-include", workflow)

    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "--dry-run", "--cores", "1"],
        cwd=workflow,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    rewritten = [ScratchPaths(workflow, "r1").rewrite(line) for line in result.stderr.splitlines()]
    summary = first_error(rewritten)

    assert result.returncode != 0
    assert "KeyError: 3" in result.stderr, "Snakemake 9.27 still crashes after the SyntaxError"
    assert summary is not None
    assert summary.startswith("SyntaxError: Expected name or colon after rule")
    assert summary.endswith('(in file "rules.smk", line 3)')


def test_a_snakemake_report_is_summed_up_with_the_message_on_its_next_line() -> None:
    lines = [
        "Building DAG of jobs...",
        'SyntaxError in file "Snakefile", line 4:',
        "Expected name or colon after rule or checkpoint keyword.:",
        "None",
        "WorkflowError:",
        "something later",
    ]

    assert first_error(lines) == (
        'SyntaxError in file "Snakefile", line 4: '
        "Expected name or colon after rule or checkpoint keyword.:"
    )
    assert first_error(["Building DAG of jobs...", "    raise SyntaxError(msg)"]) is None


def test_scratch_paths_become_paths_in_the_workflow_and_the_complete_log_names_the_run_log(
    tmp_path,
) -> None:
    folder = tmp_path / "attempt-1" / "workflow"
    paths = ScratchPaths(folder, "r1")

    assert paths.rewrite(f"  Snakefile: {folder}/Snakefile\n") == "  Snakefile: Snakefile\n"
    assert paths.rewrite(f"  Working directory: {folder}\n") == "  Working directory: .\n"
    assert paths.rewrite(f"{folder}-other/x") == f"{folder}-other/x"
    assert paths.rewrite(f"Complete log(s): {folder}/.snakemake/log/x.snakemake.log\n") == (
        "Complete log: this run's log (GET /runs/r1/logs, or `batchflow runs logs r1`)\n"
    )


def test_a_stream_copy_echoes_and_keeps_every_line_rewritten(tmp_path) -> None:
    echo = io.StringIO()
    copy = StreamCopy(io.BytesIO(b"one /w/x\ntwo\xff\n"), echo, tmp_path / "kept", str.upper)

    copy.start()
    copy.join()

    assert echo.getvalue() == "ONE /W/X\nTWO\ufffd\n"
    assert (tmp_path / "kept").read_text() == echo.getvalue()


def event(name: str, **fields) -> TaskEvent:
    return TaskEvent(event=name, run_id="r", batch_job_id="job-1", rule="align", jobid=1, **fields)


def test_a_succeeded_task_has_exit_code_0_even_after_a_failed_attempt_said_otherwise() -> None:
    [plain] = tasks_from_events("r", [event("submitted"), event("succeeded")])
    [retried] = tasks_from_events("r", [event("failed", exit_code=137), event("succeeded")])
    [failed] = tasks_from_events("r", [event("running"), event("failed", exit_code=3)])

    assert (plain.state, plain.exit_code) == ("COMPLETE", 0)
    assert (retried.state, retried.exit_code) == ("COMPLETE", 0)
    assert (failed.state, failed.exit_code) == ("EXECUTOR_ERROR", 3)
