"""StopOnSignal in processes of its own: a signal is never missed, a second one ends the process."""

import signal
import subprocess
import sys
import threading

import pytest

from batchflow_executor.signals import StopOnSignal

# A main thread blocked on a semaphore, as Snakemake's is, beside busy threads: the kernel often
# hands the signal to one of those, and a plain Python handler then waits for as long as the
# main thread stays blocked (a quarter of SIGTERM+SIGINT pairs, measured).
CHILD = """
import os, signal, sys, threading, time
from batchflow_executor.signals import StopOnSignal

def stop(name):
    time.sleep(0.1)
    print(f"stopped after {name}", flush=True)

guard = StopOnSignal(stop)
signal.signal(signal.SIGTERM, lambda signum, frame: None)  # Snakemake's handler, replaced
guard.install()

def busy():
    while True:
        sum(range(20000))
        time.sleep(0.001)

for _ in range(3):
    threading.Thread(target=busy, daemon=True).start()
try:
    print("ready", flush=True)
    threading.Semaphore(0).acquire()
except KeyboardInterrupt:
    guard.wait_until_stopped()
    print("interrupted", flush=True)
    time.sleep(float(sys.argv[1]))  # Snakemake's clean-up, which a second signal cuts short
    sys.exit(1)
"""
ROUNDS = 8


def signalled_child(*signals: signal.Signals, clean_up_seconds: float = 0) -> tuple[int, str]:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(clean_up_seconds)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline() == "ready\n"
    for signum in signals:
        child.send_signal(signum)
    try:
        output, _ = child.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        child.kill()
        output, _ = child.communicate()
        pytest.fail(f"still running 10 s after {signals}; output: {output}")
    return child.returncode, output


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_the_jobs_and_interrupts_the_blocked_main_thread(signum) -> None:
    for _ in range(ROUNDS):
        code, output = signalled_child(signum)

        assert code == 1, output
        assert output.splitlines()[-2:] == [f"stopped after {signum.name}", "interrupted"]


def test_a_second_signal_ends_the_process_once_the_first_has_stopped_the_jobs() -> None:
    for _ in range(ROUNDS):
        code, output = signalled_child(signal.SIGTERM, signal.SIGINT, clean_up_seconds=5)

        assert code in (128 + signal.SIGTERM, 128 + signal.SIGINT), output
        assert "stopped after SIG" in output
        assert "batchflow: second signal" in output


def test_a_run_without_signals_gets_its_handlers_back() -> None:
    before = {signum: signal.getsignal(signum) for signum in (signal.SIGTERM, signal.SIGINT)}
    guard = StopOnSignal(lambda name: pytest.fail(f"stopped after {name}"))

    guard.install()
    installed = signal.getsignal(signal.SIGTERM)
    guard.restore()

    assert installed != before[signal.SIGTERM]
    assert {signum: signal.getsignal(signum) for signum in before} == before
    assert signal.set_wakeup_fd(-1) == -1
    assert "batchflow-signals" not in {thread.name for thread in threading.enumerate()}
