"""One container attempt, run as a local process group: output captured, stopped as ECS stops it."""

import asyncio
import contextlib
import os
import signal
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

MAX_EVENT_BYTES = 256 * 1024
READ_CHUNK = 64 * 1024
OUTPUT_DRAIN_SECONDS = 2.0


class LineSplitter:
    """Turns a byte stream into log messages: one per line, none over CloudWatch's event limit."""

    def __init__(self, emit: Callable[[str], None]) -> None:
        self._emit = emit
        self._pending = b""

    def feed(self, chunk: bytes) -> None:
        self._pending += chunk
        *lines, self._pending = self._pending.split(b"\n")
        for line in lines:
            self._emit_bytes(line)
        while len(self._pending) > MAX_EVENT_BYTES:
            self._emit_bytes(self._pending[:MAX_EVENT_BYTES])
            self._pending = self._pending[MAX_EVENT_BYTES:]

    def close(self) -> None:
        if self._pending:
            self._emit_bytes(self._pending)
            self._pending = b""

    def _emit_bytes(self, line: bytes) -> None:
        for start in range(0, max(len(line), 1), MAX_EVENT_BYTES):
            self._emit(line[start : start + MAX_EVENT_BYTES].decode(errors="replace").rstrip("\r"))


def exit_code_of(returncode: int) -> int:
    """A container's exit code: the process's own, or 128 + N when signal N ended it."""
    return 128 - returncode if returncode < 0 else returncode


class AttemptProcess:
    def __init__(
        self,
        argv: Sequence[str],
        env: Mapping[str, str],
        cwd: Path,
        on_output: Callable[[str], None],
    ) -> None:
        self._argv = list(argv)
        self._env = dict(env)
        self._cwd = cwd
        self._splitter = LineSplitter(on_output)
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._killer: asyncio.TimerHandle | None = None

    async def start(self) -> None:
        """Starts the command; raises OSError when it cannot be executed."""
        self._cwd.mkdir(parents=True, exist_ok=True)
        self._process = await asyncio.create_subprocess_exec(
            *self._argv,
            cwd=self._cwd,
            env=self._env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        self._reader = asyncio.create_task(self._read_output())

    @property
    def pid(self) -> int:
        """The process's id, which is also its process group's (it leads a new session)."""
        assert self._process is not None
        return self._process.pid

    async def _read_output(self) -> None:
        assert self._process is not None
        assert self._process.stdout is not None
        while chunk := await self._process.stdout.read(READ_CHUNK):
            self._splitter.feed(chunk)
        self._splitter.close()

    async def wait(self) -> int:
        """Waits for the main process, then ends whatever it left in its group, like ECS does."""
        assert self._process is not None
        assert self._reader is not None
        returncode = await self._process.wait()
        if self._killer:
            self._killer.cancel()
        self._signal_group(signal.SIGKILL)
        try:
            await asyncio.wait_for(asyncio.shield(self._reader), OUTPUT_DRAIN_SECONDS)
        except TimeoutError:
            self._reader.cancel()
            self._splitter.close()
        return exit_code_of(returncode)

    def stop(self, grace_seconds: float) -> None:
        """SIGTERM to the whole group now, SIGKILL once `grace_seconds` have passed."""
        self._signal_group(signal.SIGTERM)
        if self._killer is None:
            loop = asyncio.get_running_loop()
            self._killer = loop.call_later(grace_seconds, self._signal_group, signal.SIGKILL)

    def kill(self) -> None:
        self._signal_group(signal.SIGKILL)

    def _signal_group(self, sig: signal.Signals) -> None:
        if self._process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._process.pid, sig)
