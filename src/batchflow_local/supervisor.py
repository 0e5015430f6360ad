"""The owner's side of a detached local AWS: find the one living in a state directory and check
that it answers, or start one; renew its lease; stop it."""

import base64
import contextlib
import http.client
import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .state_dir import EndpointRecord, FileLock, StateDir

log = logging.getLogger(__name__)

START_TIMEOUT_SECONDS = 60.0
ANSWER_TIMEOUT_SECONDS = 10.0
STOP_TIMEOUT_SECONDS = 60.0
POLL_SECONDS = 0.1
LOG_TAIL_CHARACTERS = 2000


class LocalAwsUnavailableError(Exception):
    """No local AWS could be found or started; the message says why and what to do."""


def process_alive(pid: int) -> bool:
    """Whether `pid` is a process that has not ended (a zombie has)."""
    try:
        with open(f"/proc/{pid}/stat") as status:
            return status.read().rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


class AdminError(Exception):
    """The local AWS's admin API could not be reached, or refused the request."""


class AdminClient:
    """The admin API of a local AWS, over plain http.client: its requests, a heartbeat every
    few seconds among them, stay out of the service's log."""

    def __init__(self, record: EndpointRecord) -> None:
        address = urlsplit(record.endpoint)
        self._host, self._port = address.hostname or "127.0.0.1", address.port or 80
        token = base64.b64encode(f"{record.access_key_id}:{record.secret_access_key}".encode())
        self._authorization = f"Basic {token.decode()}"

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """The answer's JSON; AdminError when there is no 2xx answer."""
        connection = http.client.HTTPConnection(
            self._host, self._port, timeout=ANSWER_TIMEOUT_SECONDS
        )
        headers = {"Authorization": self._authorization, "Content-Type": "application/json"}
        try:
            connection.request(
                method, f"/_batchflow{path}", json.dumps(body or {}).encode(), headers
            )
            response = connection.getresponse()
            answer = response.read()
        except (OSError, http.client.HTTPException) as error:
            raise AdminError(f"{method} /_batchflow{path}: {error}") from None
        finally:
            connection.close()
        if not 200 <= response.status < 300:
            raise AdminError(f"{method} /_batchflow{path}: HTTP {response.status} {answer[:200]!r}")
        return json.loads(answer)


class LocalAwsProcess:
    """A detached local AWS that answers with the credentials of its endpoint record."""

    def __init__(
        self,
        record: EndpointRecord,
        adopted: bool,
        server_lock: Path,
        child: subprocess.Popen[bytes] | None = None,
    ) -> None:
        self.record = record
        self.adopted = adopted
        self._server_lock = server_lock
        self._child = child
        self._admin = AdminClient(record)

    @property
    def pid(self) -> int:
        return self.record.pid

    @property
    def endpoint(self) -> str:
        return self.record.endpoint

    def answers(self) -> bool:
        """Whether the process of the record answers its admin API with its credentials."""
        try:
            return self._admin.request("GET", "/lease").get("pid") == self.pid
        except (AdminError, ValueError):
            return False

    def renew(self, grace_seconds: float) -> None:
        """Renews the lease for `grace_seconds`; raises AdminError when it cannot."""
        self._admin.request("PUT", "/lease", {"grace_seconds": grace_seconds})

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        """Asks it to end every job and exit, and waits until it has; SIGKILL if it does not
        within `timeout` (its jobs were already told to stop by then)."""
        try:
            self._admin.request("POST", "/shutdown")
        except AdminError:
            self._signal(signal.SIGTERM)
        if not self._wait_for_exit(timeout):
            log.warning(
                "the local AWS (pid %s) did not stop in %g s; killing it", self.pid, timeout
            )
            self._signal(signal.SIGKILL)
            self._wait_for_exit(5)

    def _signal(self, sig: signal.Signals) -> None:
        """Signals the local AWS itself, never a process that took over its pid: the child
        this process started, or the process still holding the state dir's server lock."""
        if self._child is not None:
            self._child.send_signal(sig)
            return
        if (lock := FileLock.try_acquire(self._server_lock)) is not None:
            lock.release()  # nobody holds it: the local AWS has ended
            return
        if FileLock.holder(self._server_lock) == str(self.pid) and process_alive(self.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig)

    def _wait_for_exit(self, timeout: float) -> bool:
        if self._child is not None:
            try:
                self._child.wait(timeout)
            except subprocess.TimeoutExpired:
                return False
            return True
        deadline = time.monotonic() + timeout
        while process_alive(self.pid):
            if time.monotonic() > deadline:
                return False
            time.sleep(POLL_SECONDS)
        return True


def find_or_start(state: StateDir, grace_seconds: float, scratch: bool = False) -> LocalAwsProcess:
    """The local AWS living in `state` if one runs there (it must answer), else a new one."""
    if (lock := FileLock.try_acquire(state.server_lock)) is not None:
        lock.release()
        return start(state, grace_seconds, scratch)
    deadline = time.monotonic() + ANSWER_TIMEOUT_SECONDS
    while True:
        record = state.read_endpoint()
        if record is not None:
            found = LocalAwsProcess(record, adopted=True, server_lock=state.server_lock)
            if found.answers():
                return found
        if time.monotonic() > deadline:
            where = f" at {record.endpoint}" if record else ""
            pid = FileLock.holder(state.server_lock)
            raise LocalAwsUnavailableError(
                f"a local AWS (pid {pid}) holds the state dir {state.path} but does not "
                f"answer{where}; see {state.log_file}, stop it (kill {pid}), or pass another "
                "--state-dir"
            )
        time.sleep(POLL_SECONDS * 5)


def start(state: StateDir, grace_seconds: float, scratch: bool = False) -> LocalAwsProcess:
    """Starts a local AWS in `state`, in a session of its own, and waits until it answers.

    Its environment is this one's without AWS_* and BATCHFLOW_* variables: its jobs must not
    see the caller's AWS credentials or the service's secrets."""
    command = [
        sys.executable,
        "-m",
        "batchflow_local.detached",
        "--state-dir",
        str(state.path),
        "--lease-grace",
        str(grace_seconds),
        *(["--scratch"] if scratch else []),
    ]
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_", "BATCHFLOW_"))
    }
    log_descriptor = state.open_log()
    try:
        child = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log_descriptor,
            stderr=subprocess.STDOUT,
            env=environment,
            start_new_session=True,
        )
    finally:
        os.close(log_descriptor)
    try:
        return _wait_until_ready(state, child)
    except BaseException:
        child.terminate()
        try:
            child.wait(10)
        except subprocess.TimeoutExpired:
            child.kill()
        raise


def _wait_until_ready(state: StateDir, child: subprocess.Popen[bytes]) -> LocalAwsProcess:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while True:
        record = state.read_endpoint()
        if record is not None and record.pid == child.pid:
            started = LocalAwsProcess(
                record, adopted=False, server_lock=state.server_lock, child=child
            )
            if started.answers():
                return started
        if child.poll() is not None:
            raise LocalAwsUnavailableError(
                f"the local AWS exited at start (code {child.returncode}); its log "
                f"{state.log_file} ends with:\n{_tail(state.log_file)}"
            )
        if time.monotonic() > deadline:
            raise LocalAwsUnavailableError(
                f"the local AWS (pid {child.pid}) did not answer within "
                f"{START_TIMEOUT_SECONDS:g} s; see {state.log_file}"
            )
        time.sleep(POLL_SECONDS)


def _tail(path: Path) -> str:
    try:
        return path.read_text(errors="replace")[-LOG_TAIL_CHARACTERS:]
    except OSError:
        return "(no log)"
