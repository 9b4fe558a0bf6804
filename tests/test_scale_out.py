"""Scale-out, proven: two web processes (daphne, HTTP and WebSockets) and two Celery workers on
one PostgreSQL and one Redis behave as one Nexus.

- a chat message posted through one web process reaches a socket held by the other;
- pattern runs started through both web processes spread over both workers, every step once;
- a worker SIGKILLed in the middle of a run loses nothing: the run finishes on the other one;
- the login throttle counts the attempts made through both web processes together.

The README's "Running with PostgreSQL and Redis, and scaling out" section points here.
"""

import contextlib
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from conftest import access_token
from nexus_site.definitions.enums import EventType
from nexus_site.tests.test_celery_worker import ROOT, database_url
from patterns import executor
from patterns.models import Execution, ExecutionStatus, StepRun, StepStatus
from patterns.tasks import reclaim_executions
from patterns.tests import test_worker_recovery as recovery
from patterns.tests.factories import make_pattern
from patterns.tests.test_worker_recovery import (
    WAIT_SECONDS,
    events_of,
    recovery_steps,
    step,
    wait_for,
)
from workspace.chat import services as chat

# The worker fixtures of the crash-safety test: a queue of this test's own, real prefork workers
# with a short lease, each in a process group of its own.
worker_queue = recovery.worker_queue
start_worker = recovery.start_worker

DAPHNE = Path(sys.executable).with_name("daphne")
RUNS = 20
# Short enough to keep the test quick, long enough that both workers are busy at once.
RUN_WAIT_SECONDS = 0.3
LOGIN_EMAIL_RATE = 3
START_SECONDS = 90
FRAME_SECONDS = 30
RUN_TASK_RECEIVED = re.compile(r"Task patterns\.tasks\.run_execution\[[^\]]+\] received")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Web:
    """One web process as production may run it: daphne on a port of its own, DEBUG off."""

    def __init__(self, name: str, process: subprocess.Popen, port: int, log_path: Path) -> None:
        self.name, self.process, self.port, self.log_path = name, process, port, log_path

    def request(self, method: str, path: str, body=None, token: str = ""):
        """Return (status, headers, decoded JSON body or None)."""
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            payload = None if body is None else json.dumps(body)
            connection.request(method, path, body=payload, headers=headers)
            response = connection.getresponse()
            raw = response.read()
        finally:
            connection.close()
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            data = None
        return response.status, response, data

    def check(self) -> None:
        if self.process.poll() is not None:
            pytest.fail(f"web process {self.name} stopped:\n{self.log_path.read_text()}")


@pytest.fixture
def start_web(worker_queue, tmp_path):
    """Start daphne processes on the test database, Redis and queue; stop them after."""
    started: list[Web] = []

    def start(name: str) -> Web:
        port = free_port()
        log_path = tmp_path / f"{name}.log"
        env = {
            **os.environ,  # REDIS_URL, CACHE_KEY_PREFIX, CHANNEL_PREFIX: shared with the test
            "DATABASE_URL": database_url(),
            "DATABASE_POOL_MIN": "0",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "CELERY_TASK_DEFAULT_QUEUE": worker_queue,  # runs it starts go to this test's workers
            "DJANGO_DEBUG": "false",
            "DJANGO_SECURE_SSL_REDIRECT": "false",  # plain HTTP on the loopback
            "DJANGO_SECURE_COOKIES": "false",
            "DJANGO_HSTS_SECONDS": "0",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "THROTTLE_LOGIN_EMAIL": f"{LOGIN_EMAIL_RATE}/min",
            "PYTHONUNBUFFERED": "1",
        }
        command = [str(DAPHNE), "-b", "127.0.0.1", "-p", str(port), "nexus_site.asgi:application"]
        with log_path.open("w") as log:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        web = Web(name, process, port, log_path)
        started.append(web)
        return web

    yield start
    for web in started:
        if web.process.poll() is None:
            web.process.terminate()
            try:
                web.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(web.process.pid, signal.SIGKILL)
                web.process.wait(timeout=10)


def wait_ready(web: Web) -> None:
    """Wait until the web process answers /readyz with 200 (database, cache and broker up)."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        web.check()
        try:
            status, _response, _data = web.request("GET", "/readyz")
        except OSError:
            status = None
        if status == 200:
            return
        time.sleep(0.2)
    pytest.fail(
        f"web process {web.name} not ready in {START_SECONDS}s:\n{web.log_path.read_text()}"
    )


def wait_worker_ready(worker, log_path: Path) -> None:
    """Wait until the worker consumes its queue, so runs can go to either worker."""
    wait_for(lambda: " ready." in log_path.read_text(), "ready worker", worker, log_path)


def run_tasks_received(log_path: Path) -> int:
    return len(RUN_TASK_RECEIVED.findall(log_path.read_text()))


# --- the four checks ------------------------------------------------------------------------


def check_chat_crosses_web_processes(webs: list[Web]) -> None:
    """A message posted through either web process reaches the sockets held by both."""
    from websockets.sync.client import connect

    author, reader = UserFactory(), UserFactory()
    room = chat.room_create(actor=author, kind="private", name="scale-out", members=[reader])
    with contextlib.ExitStack() as stack:
        sockets = []
        for web in webs:
            origin = f"http://127.0.0.1:{web.port}"
            url = f"ws://127.0.0.1:{web.port}/ws/chat/{room.pk}/?token={access_token(reader)}"
            sockets.append(
                stack.enter_context(connect(url, origin=origin, open_timeout=FRAME_SECONDS))
            )
        for sock in sockets:
            # The consumer handles frames in order, after connect (which joins the room's
            # group): the answer to a bad frame proves this socket is in the group.
            sock.send(json.dumps({"action": "hello"}))
            answer = json.loads(sock.recv(timeout=FRAME_SECONDS))
            assert answer["type"] == "error", answer

        posted = []
        for n, web in enumerate(webs):
            status, _response, data = web.request(
                "POST",
                f"/api/v1/chat/rooms/{room.pk}/messages/",
                {"body": f"through {web.name} ({n})"},
                token=access_token(author),
            )
            assert status == 201, data
            posted.append(data["id"])

        for index, sock in enumerate(sockets):
            got = []
            for _ in posted:
                frame = json.loads(sock.recv(timeout=FRAME_SECONDS))
                assert frame["type"] == "message_posted", frame
                got.append(frame["message"]["id"])
            # Each message once, on the socket of the other web process too.
            assert sorted(got) == sorted(posted), f"socket on {webs[index].name}"


def check_throttle_counts_across_web_processes(webs: list[Web]) -> None:
    """Failed logins alternate between the processes; the limit applies to their sum."""
    target, other = UserFactory(), UserFactory()
    wrong = {"email": target.email, "password": "not-the-password"}
    for attempt in range(LOGIN_EMAIL_RATE):
        web = webs[attempt % 2]
        status, _response, data = web.request("POST", "/api/v1/auth/token/", wrong)
        assert status == 401, (attempt, web.name, data)

    # The next attempt goes to web-2, which has itself seen only 1 of the 3 (web-1 saw 2):
    # a counter kept per process would let it through.
    nxt = webs[LOGIN_EMAIL_RATE % 2]
    status, response, data = nxt.request("POST", "/api/v1/auth/token/", wrong)
    assert status == 429, (nxt.name, data)
    assert response.getheader("Retry-After")
    status, _response, data = webs[(LOGIN_EMAIL_RATE + 1) % 2].request(
        "POST", "/api/v1/auth/token/", {"email": target.email, "password": DEFAULT_PASSWORD}
    )
    assert status == 429, data  # the right password too, until the window passes

    # Per address: attempts on another account are not throttled, through either process.
    for web in webs:
        status, _response, data = web.request(
            "POST", "/api/v1/auth/token/", {"email": other.email, "password": "not-it-either"}
        )
        assert status == 401, (web.name, data)


def start_runs(webs: list[Web], owner, pattern, count: int) -> list[str]:
    token = access_token(owner)
    ids = []
    for n in range(count):
        web = webs[n % 2]
        status, _response, data = web.request(
            "POST", f"/api/v1/patterns/{pattern.key}/execute/", {"input": {}}, token=token
        )
        assert status == 202, (web.name, data)
        ids.append(data["execution"])
    return ids


def assert_every_step_once(execution_ids: list[str]) -> None:
    executions = list(Execution.objects.filter(pk__in=execution_ids))
    assert len(executions) == len(execution_ids)
    assert {e.status for e in executions} == {ExecutionStatus.SUCCEEDED}
    runs = StepRun.objects.filter(execution_id__in=execution_ids)
    assert runs.count() == 3 * len(execution_ids)
    assert set(runs.values_list("status", flat=True)) == {StepStatus.SUCCEEDED}
    assert set(runs.values_list("attempts", flat=True)) == {1}
    for execution in executions:
        assert events_of(execution, "custom.recovery_marker") == 1
        assert events_of(execution, "custom.recovery_after") == 1
        assert events_of(execution, EventType.PATTERN_STARTED) == 1
        assert events_of(execution, EventType.PATTERN_EXECUTED) == 1


def check_runs_spread_over_both_workers(webs, workers, owner) -> None:
    pattern = make_pattern(owner, steps=recovery_steps(RUN_WAIT_SECONDS))
    ids = start_runs(webs, owner, pattern, RUNS)

    def all_finished() -> bool:
        for worker, log_path in workers:
            if worker.poll() is not None:
                pytest.fail(f"a worker stopped:\n{log_path.read_text()}")
        return all(e.is_finished for e in Execution.objects.filter(pk__in=ids))

    wait_for(all_finished, f"{RUNS} finished executions")
    assert_every_step_once(ids)
    received = [run_tasks_received(log_path) for _worker, log_path in workers]
    assert all(received), f"run tasks per worker: {received}"
    assert sum(received) == RUNS  # each run's task delivered to one worker, once


def check_killed_worker_loses_nothing(webs, workers, owner) -> None:
    pattern = make_pattern(owner, steps=recovery_steps(WAIT_SECONDS))
    [execution_id] = start_runs(webs[1:], owner, pattern, 1)
    execution = Execution.objects.get(pk=execution_id)
    anyone = workers[0]

    # Step 1 committed, the wait has begun: the worker holding the run sleeps through it.
    wait_for(
        lambda: step(execution, "pause").next_attempt_at is not None,
        "wait step in progress",
        *anyone,
    )
    execution.refresh_from_db()
    holder_pid = int(execution.lease_owner.split(":")[1])  # host:pid:thread
    holders = [w for w in workers if os.getpgid(holder_pid) == w[0].pid]
    assert len(holders) == 1, execution.lease_owner
    (victim, _victim_log) = holders[0]
    survivor, survivor_log = next(w for w in workers if w is not holders[0])
    received_before = run_tasks_received(survivor_log)

    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait(timeout=30)

    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.RUNNING
    assert step(execution, "mark").status == StepStatus.SUCCEEDED
    assert step(execution, "after").status == StepStatus.PENDING

    wait_for(
        lambda: execution.pk in executor.executions_to_reclaim(),
        "expired lease",
        survivor,
        survivor_log,
    )
    assert reclaim_executions() == 1  # what beat runs every 30 s: re-queue the run
    wait_for(
        lambda: Execution.objects.get(pk=execution.pk).is_finished,
        "finished execution",
        survivor,
        survivor_log,
    )
    assert_every_step_once([execution_id])
    assert run_tasks_received(survivor_log) == received_before + 1  # resumed there


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_web_processes_and_two_workers_behave_as_one(start_web, start_worker):
    webs = [start_web("web-1"), start_web("web-2")]
    workers = [start_worker("worker-1"), start_worker("worker-2")]
    for web in webs:
        wait_ready(web)
    for worker, log_path in workers:
        wait_worker_ready(worker, log_path)
    owner = UserFactory()

    check_chat_crosses_web_processes(webs)
    check_throttle_counts_across_web_processes(webs)
    check_runs_spread_over_both_workers(webs, workers, owner)
    check_killed_worker_loses_nothing(webs, workers, owner)
    for web in webs:
        web.check()
