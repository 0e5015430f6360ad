"""SIGTERM and SIGINT end the run and its Batch jobs; a second one ends the process at once.

Snakemake 9 answers SIGTERM with "finish the running jobs, then exit", which for Batch jobs
means they all keep running. Its scheduler installs that handler right after it creates the
executor, so the executor installs its own when it first submits jobs (in the main thread), and
again whenever something has replaced them since.

A Python signal handler runs only when the main thread runs Python code, and Snakemake's main
thread spends a run blocked on a semaphore; when the kernel hands the signal to another thread,
the handler can wait for as long as that block lasts (measured: a quarter of SIGTERM+SIGINT pairs
sent to a process with busy threads). So the signal is also read where it cannot be missed: the
interpreter writes the number of every signal it catches to its wakeup file descriptor, a pipe
that a thread of ours reads. On the first signal that thread:
- terminates every Batch job of the run (on a thread of its own, so that it keeps reading),
- makes sure the main thread notices: the handler there raises KeyboardInterrupt, and Snakemake
  takes the path Ctrl-C always took (cancel_jobs, then exit non-zero); if it has not run yet,
  the signal is sent again to the main thread, which wakes it.
On a second signal it waits for the TerminateJob calls under way (at most
SECOND_SIGNAL_GRACE_SECONDS) and ends the process at once with status 128 + the signal's number.
"""

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

HANDLED = (signal.SIGTERM, signal.SIGINT)
SECOND_SIGNAL_GRACE_SECONDS = 5.0
MAIN_THREAD_GRACE_SECONDS = 0.2
NO_SIGNAL = 0  # what restore() writes to end the reader; no signal has the number 0


class StopOnSignal:
    def __init__(self, stop: Callable[[str], None]) -> None:
        """`stop(signal_name)` terminates the run's jobs; it runs on a thread of its own."""
        self._stop = stop
        self._handled_in_main = False
        self._first: int | None = None
        self._renudged: set[int] = set()
        self._previous: dict[int, Any] = {}
        self._previous_wakeup = -1
        self._reader: threading.Thread | None = None
        self._stopper: threading.Thread | None = None
        self._wake_read = self._wake_write = -1
        self._main_thread = 0

    @property
    def signalled(self) -> bool:
        return self._first is not None or self._handled_in_main

    def install(self) -> None:
        """Puts the handlers and the wakeup pipe in place (again, if something replaced them);
        main thread only."""
        if threading.current_thread() is not threading.main_thread():
            return
        if self._reader is None:
            self._main_thread = threading.get_ident()
            self._wake_read, self._wake_write = os.pipe()
            os.set_blocking(self._wake_write, False)
            self._reader = threading.Thread(
                target=self._read, name="batchflow-signals", daemon=True
            )
            self._reader.start()
            self._previous_wakeup = signal.set_wakeup_fd(
                self._wake_write, warn_on_full_buffer=False
            )
        else:
            signal.set_wakeup_fd(self._wake_write, warn_on_full_buffer=False)
        for signum in HANDLED:
            current = signal.getsignal(signum)
            if current != self._handle:
                self._previous[signum] = current
                signal.signal(signum, self._handle)

    def restore(self) -> None:
        """Gives back what install() replaced and ends the reader, unless a signal came: then a
        second one must still end the process at once."""
        if (
            self.signalled
            or self._reader is None
            or threading.current_thread() is not threading.main_thread()
        ):
            return
        for signum, previous in self._previous.items():
            if signal.getsignal(signum) == self._handle:
                signal.signal(signum, previous)
        self._previous.clear()
        with contextlib.suppress(ValueError, OSError):  # its owner may have closed it since
            signal.set_wakeup_fd(self._previous_wakeup)
        os.write(self._wake_write, bytes([NO_SIGNAL]))
        self._reader.join()
        os.close(self._wake_read)
        os.close(self._wake_write)
        self._reader = None

    def wait_until_stopped(self) -> None:
        """Returns once the jobs a signal asked to terminate are terminated (at once if none)."""
        deadline = time.monotonic() + MAIN_THREAD_GRACE_SECONDS * 10
        while self._handled_in_main and self._stopper is None and time.monotonic() < deadline:
            time.sleep(0.01)  # the reader has the signal's byte but has not started yet
        if self._stopper is not None:
            self._stopper.join()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if not self._handled_in_main:
            self._handled_in_main = True
            raise KeyboardInterrupt
        # Later signals, and the first one sent again by _read, are the reader's to count.

    def _read(self) -> None:
        while True:
            signum = os.read(self._wake_read, 1)[0]
            if signum == NO_SIGNAL:
                return
            if self._previous_wakeup >= 0:  # whoever had the wakeup fd before still hears
                with contextlib.suppress(OSError):
                    os.write(self._previous_wakeup, bytes([signum]))
            if signum not in HANDLED:
                continue
            if signum in self._renudged:
                self._renudged.discard(signum)  # the copy _wake_main_thread sent
                continue
            if self._first is None:
                self._first = signum
                self._start_stopping(signum)
                continue
            self._exit_now(signum)

    def _start_stopping(self, signum: int) -> None:
        """Starts terminating the jobs, and looks after the main thread a little later; returns
        at once, to read a second signal as soon as it comes."""
        stopper = threading.Thread(
            target=self._stop, args=(signal.Signals(signum).name,), name="batchflow-stop"
        )
        stopper.start()
        self._stopper = stopper
        waker = threading.Timer(MAIN_THREAD_GRACE_SECONDS, self._wake_main_thread, (signum,))
        waker.daemon = True
        waker.start()

    def _wake_main_thread(self, signum: int) -> None:
        """Sends the signal again to the main thread if its handler has not run: a signal
        wakes the blocking call it is in."""
        if not self._handled_in_main:
            self._renudged.add(signum)
            signal.pthread_kill(self._main_thread, signum)

    def _exit_now(self, signum: int) -> None:
        name = signal.Signals(signum).name
        os.write(2, f"batchflow: second signal ({name}): exiting now\n".encode())
        if self._stopper is not None:
            self._stopper.join(SECOND_SIGNAL_GRACE_SECONDS)
        os._exit(128 + signum)
