"""Nextflow's launch-folder state (`.nextflow/`: the task cache and the run history), kept with
the run so that a resumed run's head job can hand it to `nextflow run -resume`.

Nextflow finds the tasks a session already ran in `.nextflow/cache/<session>/` of the folder it
was launched from, and the session to resume in `.nextflow/history`; a head job's folder is gone
when the job ends. So the head keeps the folder as s3://BUCKET/runs/RUN_ID/nextflow-state.tar.gz
when Nextflow exits, and the head of a run resuming it unpacks it before starting Nextflow with
`-resume` and the same work directory.
"""

import tarfile
import tempfile
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from batchflow_aws.s3paths import S3Prefix

STATE_FOLDER = ".nextflow"
STATE_ARCHIVE = "nextflow-state.tar.gz"


def keep_launch_state(s3: Any, run: S3Prefix, launch_folder: Path) -> bool:
    """Uploads the launch folder's `.nextflow/`; False if Nextflow left none."""
    state = launch_folder / STATE_FOLDER
    if not state.is_dir():
        return False
    with tempfile.TemporaryDirectory() as scratch:
        archive = Path(scratch) / STATE_ARCHIVE
        with tarfile.open(archive, "w:gz") as packed:
            packed.add(state, arcname=STATE_FOLDER)
        s3.upload_file(str(archive), run.bucket, run.key(STATE_ARCHIVE))
    return True


def restore_launch_state(s3: Any, resumed: S3Prefix, launch_folder: Path) -> bool:
    """Unpacks the `.nextflow/` the resumed run's head kept into the launch folder; False if it
    kept none. Only regular files and folders under `.nextflow/` are unpacked (the archive was
    written by a job that ran the workflow's code)."""
    with tempfile.TemporaryDirectory() as scratch:
        archive = Path(scratch) / STATE_ARCHIVE
        try:
            s3.download_file(resumed.bucket, resumed.key(STATE_ARCHIVE), str(archive))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey"):
                return False
            raise
        with tarfile.open(archive, "r:gz") as packed:
            members = [member for member in packed.getmembers() if _is_state(member)]
            packed.extractall(launch_folder, members=members, filter="data")
    return True


def _is_state(member: tarfile.TarInfo) -> bool:
    parts = Path(member.name).parts
    return (
        (member.isfile() or member.isdir()) and parts[:1] == (STATE_FOLDER,) and ".." not in parts
    )
