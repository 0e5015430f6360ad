"""Markdown tables and a wall-time plot of side_by_side.py's results.

python benchmarks/side_by_side_report.py benchmarks/.results/side-by-side-....json
"""

import json
import sys
from pathlib import Path

RUNNERS = {
    "floor": "floor (local executor + S3)",
    "batchflow": "batchflow",
    "batchflow-events": "batchflow, events",
    "peer": "aws-batch plugin",
}
WORKLOAD_TITLES = {
    "fanout": "100-way fan-out + gather (101 jobs)",
    "chain": "3-level chain (5 x 3 = 15 jobs)",
}
ROWS = [
    ("wall s", "wall_s"),
    ("CPU s per job (Snakemake and job processes)", "cpu_s_per_job"),
    ("CPU s, local AWS + proxy", "cpu_s_local_aws_and_proxy"),
    ("SubmitJob calls per job", "submit_calls_per_job"),
    ("DescribeJobs calls", "batch.DescribeJobs"),
    ("DescribeJobs per poll cycle", "describe_calls_per_cycle"),
    ("⌈active/100⌉ per poll cycle", "describe_bound_per_cycle"),
    ("RegisterJobDefinition", "batch.RegisterJobDefinition"),
    ("RegisterJobDefinition, second run", "second:batch.RegisterJobDefinition"),
    ("S3 calls", "s3"),
    ("Logs calls", "logs"),
    ("all calls", "all"),
    ("detection lag, median s", "lag_median_s"),
    ("detection lag, p90 s", "lag_p90_s"),
    ("load average at start", "load_average_at_start"),
]
RATIO_KEYS = {"wall_s", "cpu_s_per_job", "submit_calls_per_job", "batch.DescribeJobs", "all"}


def value(runs: dict[int, dict], key: str) -> float | None:
    if key.startswith("second:"):
        runs, key = {1: runs[2]} if 2 in runs else {}, key.removeprefix("second:")
    record = runs.get(1)
    if record is None:
        return None
    calls = record["calls"]
    if key in ("s3", "logs"):
        return sum(count for name, count in calls.items() if name.startswith(key + "."))
    if key == "all":
        return sum(calls.values())
    if "." in key:
        return calls.get(key, 0)
    return record.get(key)


def cell(number: float | None) -> str:
    if number is None:
        return "-"
    return f"{number:g}" if isinstance(number, int) or number >= 100 else f"{number:.3g}"


def ratio(top: float | None, bottom: float | None) -> str:
    if top is None or bottom is None or bottom == 0:
        return "-"
    return f"{top / bottom:.2f}"


def workload_table(results: dict, workload: str) -> str:
    by_runner: dict[str, dict[int, dict]] = {}
    for record in results["runs"]:
        if record["workload"] == workload:
            by_runner.setdefault(record["runner"], {})[record["run"]] = record
    runners = [runner for runner in RUNNERS if runner in by_runner]
    ratios = [
        (top, bottom)
        for top in ("batchflow", "batchflow-events")
        for bottom in ("floor", "peer")
        if top in runners and bottom in runners
    ]
    header = [WORKLOAD_TITLES[workload], *(RUNNERS[r] for r in runners)]
    header += [f"{top} / {bottom}" for top, bottom in ratios]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for title, key in ROWS:
        values = {runner: value(by_runner[runner], key) for runner in runners}
        row = [title, *(cell(values[runner]) for runner in runners)]
        if key in RATIO_KEYS:
            row += [ratio(values.get(top), values.get(bottom)) for top, bottom in ratios]
        else:
            row += [""] * len(ratios)
        lines.append("| " + " | ".join(row) + " |")
    failed = [r for r in results["runs"] if r["workload"] == workload and r["exit_code"] != 0]
    for record in failed:
        lines.append(f"\n{record['runner']} run {record['run']} FAILED: see {record['log']}")
    return "\n".join(lines)


def markdown(results: dict) -> str:
    workloads = [w for w in WORKLOAD_TITLES if any(r["workload"] == w for r in results["runs"])]
    heading = f"Measured {results['date']} on {results['code']} ({results['machine']})"
    return "\n\n".join([heading, *(workload_table(results, w) for w in workloads)])


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    firsts = [record for record in results["runs"] if record["run"] == 1]
    workloads = [w for w in WORKLOAD_TITLES if any(r["workload"] == w for r in firsts)]
    runners = [runner for runner in RUNNERS if any(r["runner"] == runner for r in firsts)]
    figure, axes = plt.subplots(figsize=(8, 4.2), dpi=100)
    width = 0.8 / len(runners)
    for index, runner in enumerate(runners):
        walls = [
            next((r["wall_s"] for r in firsts if r["runner"] == runner and r["workload"] == w), 0)
            for w in workloads
        ]
        positions = [w + (index - (len(runners) - 1) / 2) * width for w in range(len(workloads))]
        bars = axes.bar(positions, walls, width, label=RUNNERS[runner])
        axes.bar_label(bars, fmt="%.0f s", fontsize=8)
    axes.set_xticks(range(len(workloads)), [WORKLOAD_TITLES[w] for w in workloads])
    axes.set_ylabel("wall time, seconds")
    axes.set_title(f"Wall time per runner on batchflow local\n{results['date']}, {results['code']}")
    axes.title.set_fontsize(9)
    axes.legend()
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)


if __name__ == "__main__":
    loaded = json.loads(Path(sys.argv[1]).read_text())
    print(markdown(loaded))
    if len(sys.argv) > 2:
        plot(loaded, Path(sys.argv[2]))
