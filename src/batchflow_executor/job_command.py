"""One Python start per job: Snakemake's job command runs `python -m snakemake --deploy-sources
...` and then `python -m snakemake ...` (the job), two interpreters that each import Snakemake,
which costs more CPU than a small rule's own work. The command this module makes runs both
steps, through Snakemake's own command line, in one interpreter, which builds Snakemake's
argument parser (every plugin's options) once for both.

Three more things a job's interpreter does not need, each measured on a trivial job:
- the cyclic garbage collector while Snakemake is imported and the sources deployed (the
  objects made then live until the end), and again at exit over all of them: about a quarter
  of the job's CPU. It is off until the job step starts, and what exists then is frozen out
  of its passes;
- the HTML report plugin, which every argument parser built registers by importing
  `snakemake.report` (numpy, docutils, jinja2): about a tenth. A job command never asks for
  a report; where the plugin interface differs from the one checked here, nothing is changed;
- two of the three S3 calls with which the S3 storage plugin fetches the sources archive: it
  lists the key as a folder and asks for the object's size (to check the local disk has
  room), then gets it. The archive is one object, so the deploy step gets it in one
  GetObject, checks the room against the answer's length (without
  `--wait-for-free-local-storage`'s wait: the archive holds only the workflow's sources),
  and reads it again if its body is cut off; Snakemake still checks its checksum and unpacks
  it. The job step fetches its inputs as the plugin does.

The program is passed inline (`python -c`), so a job image needs nothing beyond what the job
command needed before: python with snakemake and its storage plugin."""

import shlex

SEPARATOR = "--batchflow-then-run-the-job"
SOURCES_IN_ONE_GET = """
try:
    import os, shutil
    from botocore.exceptions import IncompleteReadError, ReadTimeoutError, ResponseStreamingError
    from snakemake_interface_common.exceptions import WorkflowError
    from snakemake_storage_plugin_s3 import StorageObject as S3Object
    managed_retrieve = S3Object.managed_retrieve
    S3Object.s3obj, S3Object.local_path  # what the fetch below relies on
except (ImportError, AttributeError):
    S3Object = None
def fetch_in_one_get(storage_object, path, attempts=3):
    for attempt in range(1, attempts + 1):
        response = storage_object.s3obj().get()
        size, free = response["ContentLength"], shutil.disk_usage(path.parent).free
        if size > free:
            raise WorkflowError(f"Cannot store {path} ({size} bytes, {free} free)")
        try:
            with open(path, "wb") as archive:
                for chunk in response["Body"].iter_chunks(1 << 20):
                    archive.write(chunk)
            return
        except (IncompleteReadError, ReadTimeoutError, ResponseStreamingError):
            if attempt == attempts:
                raise
async def retrieve_in_one_get(storage_object):
    path = storage_object.local_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fetch_in_one_get(storage_object, path)
    except Exception as error:
        if os.path.isfile(path):
            os.remove(path)
        failed = f"Failed to retrieve storage object from {storage_object.print_query}"
        raise WorkflowError(failed, error)
if S3Object is not None:
    S3Object.managed_retrieve = retrieve_in_one_get
""".strip()
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
{SOURCES_IN_ONE_GET}
split = sys.argv.index({SEPARATOR!r})
try:
    main(sys.argv[1:split])
except SystemExit as stop:
    if stop.code:
        raise
finally:
    if S3Object is not None:
        S3Object.managed_retrieve = managed_retrieve
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
