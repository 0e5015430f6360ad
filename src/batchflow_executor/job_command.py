"""One Python start per job: Snakemake's job command runs `python -m snakemake --deploy-sources
...` and then `python -m snakemake ...` (the job), two interpreters that each import Snakemake,
which costs more CPU than a small rule's own work. The command this module makes runs both
steps, through Snakemake's own command line, in one interpreter, which builds Snakemake's
argument parser (every plugin's options) once for both.

Two more things a job's interpreter does not need, each measured on a trivial job:
- the cyclic garbage collector while Snakemake is imported and the sources deployed (the
  objects made then live until the end), and again at exit over all of them: about a quarter
  of the job's CPU. It is off until the job step starts, and what exists then is frozen out
  of its passes;
- the HTML report plugin, which every argument parser built registers by importing
  `snakemake.report` (numpy, docutils, jinja2): about a tenth. A job command never asks for
  a report; where the plugin interface differs from the one checked here, nothing is changed.

The program is passed inline (`python -c`), so a job image needs nothing beyond what the job
command needed before: python with snakemake and its storage plugin."""

import shlex

SEPARATOR = "--batchflow-then-run-the-job"
BOTH_STEPS = f"""
import gc, sys
gc.disable()
try:
    from snakemake_interface_common.plugin_registry import PluginRegistryBase
    from snakemake_interface_report_plugins.registry import ReportPluginRegistry
    ReportPluginRegistry.collect_plugins = PluginRegistryBase.collect_plugins
except (ImportError, AttributeError):
    pass
import snakemake.cli
from snakemake.cli import main
build_parser, parsers = snakemake.cli.get_argument_parser, []
def parser_built_once(profiles=None):
    if profiles is not None:
        return build_parser(profiles=profiles)
    if not parsers:
        parsers.append(build_parser())
    return parsers[0]
snakemake.cli.get_argument_parser = parser_built_once
split = sys.argv.index({SEPARATOR!r})
try:
    main(sys.argv[1:split])
except SystemExit as stop:
    if stop.code:
        raise
gc.freeze()
gc.enable()
main(sys.argv[split + 1:])
""".strip()


def one_start(command: str, precommand: str) -> str:
    """`command` with its deploy step and its job step made one interpreter's work;
    `command` unchanged when its steps are not the ones `precommand` (Snakemake's
    precommand of this job) says they are."""
    deploy = precommand.rpartition(" && ")[2]
    deploy_prefix = "python -m snakemake --deploy-sources "
    job_prefix = " && python -m snakemake "
    if not deploy.startswith(deploy_prefix):
        return command
    both = deploy + job_prefix
    start = command.find(both)
    if start < 0:
        return command
    deploy_args = deploy.removeprefix("python -m snakemake ")
    merged = f"python -c {shlex.quote(BOTH_STEPS)} {deploy_args} {SEPARATOR} "
    return command[:start] + merged + command[start + len(both) :]
