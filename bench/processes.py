"""The processes a bench starts beside itself (servers, workers): started with their output in a
log file, waited on until they listen, stopped, and on failure reported with their log's tail."""

import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Child:
    """One subprocess of the bench, run from the repository with its output in a log file."""

    # How long ``stop`` waits after SIGTERM before it kills.
    STOP_SECONDS = 20

    def __init__(self, command: list[str], *, env: dict, name: str) -> None:
        self.name = name
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed in stop)
            prefix=f"nexus-bench-{name}-", suffix=".log"
        )
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )

    def check(self) -> None:
        if self.process.poll() is not None:
            self.fail(f"{self.name} exited")

    def wait_listening(self, port: int, *, tries: int = 200) -> None:
        """Return once something accepts connections on ``port``; fail if the process ends."""
        for _ in range(tries):
            self.check()
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.1)
        self.fail(f"{self.name} did not listen")

    def fail(self, reason: str):
        self.log.flush()
        tail = Path(self.log.name).read_text(errors="replace")[-4000:]
        self.stop()
        sys.exit(f"{reason}; its log:\n{tail}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=self.STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()
