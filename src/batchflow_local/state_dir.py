"""The state directory of the local AWS that `batchflow serve` runs: what outlives one process.

    STATE_DIR/            mode 0700
      work/               the local AWS's work directory (job scratch, saved state)
      endpoint.json       mode 0600: pid, URL, region and credentials of the last one started
                          (kept when it stops: the next one reuses its port and credentials)
      local-aws.log       its log
      local-aws.lock      held by the running local AWS for as long as it runs
      owner.lock          held by the `batchflow serve` (or demo) that owns it

Whether a local AWS runs is told by local-aws.lock, not by the endpoint file. The locks are
flock(2) locks: the kernel releases them when their holder dies, even by SIGKILL."""

import contextlib
import fcntl
import json
import os
import stat
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .config import client_environment

DIR_MODE = 0o700
FILE_MODE = 0o600
LOG_ROTATE_BYTES = 10 * 1024 * 1024


def default_state_dir() -> Path:
    """`$XDG_DATA_HOME/batchflow/local` (`~/.local/share/batchflow/local`) on Linux, the user
    data directory elsewhere."""
    import platformdirs

    return Path(platformdirs.user_data_dir("batchflow", appauthor=False)) / "local"


class StateDirError(Exception):
    """The state directory cannot be used; the message says why and what to do."""


@dataclass(frozen=True)
class EndpointRecord:
    """What the endpoint file says about the local AWS running in a state directory."""

    pid: int
    endpoint: str
    region: str
    access_key_id: str
    secret_access_key: str = field(repr=False)

    def client_environment(self) -> dict[str, str]:
        return client_environment(
            self.endpoint, self.region, self.access_key_id, self.secret_access_key
        )


class FileLock:
    """An exclusive lock on a file that names its holder's pid."""

    def __init__(self, path: Path, descriptor: int) -> None:
        self.path = path
        self._descriptor: int | None = descriptor

    @classmethod
    def try_acquire(cls, path: Path) -> "FileLock | None":
        """The lock, or None when another process holds it."""
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            return None
        os.ftruncate(descriptor, 0)
        os.write(descriptor, str(os.getpid()).encode())
        return cls(path, descriptor)

    @staticmethod
    def holder(path: Path) -> str:
        """The holder's pid as written in the file, for messages."""
        try:
            return path.read_text().strip() or "unknown"
        except OSError:
            return "unknown"

    def release(self) -> None:
        if self._descriptor is not None:
            os.close(self._descriptor)
            self._descriptor = None


class StateDir:
    def __init__(self, path: Path) -> None:
        self.path = path.expanduser().absolute()
        self.workdir = self.path / "work"
        self.endpoint_file = self.path / "endpoint.json"
        self.log_file = self.path / "local-aws.log"
        self.server_lock = self.path / "local-aws.lock"
        self.owner_lock = self.path / "owner.lock"

    def prepare(self) -> "StateDir":
        """Creates the directory (0700); refuses one that another user owns or may enter,
        since its endpoint file holds the local AWS's credentials."""
        try:
            self.path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
            info = self.path.stat()
        except OSError as error:
            raise StateDirError(
                f"cannot create the state dir {self.path}: {error.strerror}; "
                "pass another --state-dir"
            ) from None
        if not stat.S_ISDIR(info.st_mode):
            raise StateDirError(f"state dir {self.path} is not a directory")
        if info.st_uid != os.getuid():
            raise StateDirError(
                f"state dir {self.path} belongs to another user (uid {info.st_uid}); "
                "pass a --state-dir of your own"
            )
        if info.st_mode & 0o077:
            raise StateDirError(
                f"state dir {self.path} is open to other users (mode "
                f"{stat.S_IMODE(info.st_mode):o}) and would hold the local AWS's credentials; "
                f"run `chmod 700 {self.path}`, or pass another --state-dir"
            )
        self.workdir.mkdir(mode=DIR_MODE, exist_ok=True)
        return self

    def read_endpoint(self) -> EndpointRecord | None:
        """The endpoint file's record; None when there is none, or it cannot be read."""
        try:
            return EndpointRecord(**json.loads(self.endpoint_file.read_text()))
        except (OSError, ValueError, TypeError):
            return None

    def write_endpoint(self, record: EndpointRecord) -> None:
        """Replaces the endpoint file in one step, so a reader never sees half of it."""
        partial = self.endpoint_file.with_name(f".{self.endpoint_file.name}.{os.getpid()}")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        with os.fdopen(descriptor, "w") as file:
            json.dump(asdict(record), file)
        partial.replace(self.endpoint_file)

    def open_log(self) -> int:
        """The log file, opened for appending (the previous one is kept as .1 once it is
        over 10 MiB); a descriptor for the local AWS's standard output and error."""
        with contextlib.suppress(FileNotFoundError):
            if self.log_file.stat().st_size > LOG_ROTATE_BYTES:
                self.log_file.replace(self.log_file.with_name(f"{self.log_file.name}.1"))
        return os.open(self.log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
