"""run_async: sync code reaches the channel layer without a new loop per event."""

import asyncio
import threading

from nexus_site.events.services import run_async


async def running_loop():
    return asyncio.get_running_loop()


def test_run_async_returns_the_result_and_reuses_the_threads_loop():
    first, again = run_async(running_loop()), run_async(running_loop())

    assert first is again
    assert not first.is_running()


def test_each_thread_has_its_own_loop():
    loops = []
    thread = threading.Thread(target=lambda: loops.append(run_async(running_loop())))
    thread.start()
    thread.join()

    assert loops[0] is not run_async(running_loop())
