"""The job manager behind the REST API's 202s and the wizard's Create: bounded, cancellable, leak-free,
and credentials scrubbed from everything a job shows."""

from __future__ import annotations

import itertools
import logging
import threading

import pytest

from jupyter_mlops.errors import Conflict, InvalidInput, NotFound
from jupyter_mlops.operations.jobs import INTERNAL_ERROR, REDACTED, Job, JobManager, TooManyJobs

_names = itertools.count()


def blocking_job(gate: threading.Event, path: str | None = None, **kw) -> Job:
    def run(progress):
        progress.emit("wait", "start", "waiting for the gate")
        while not gate.wait(0.01):
            progress.check_cancelled()
        progress.emit("wait", "done", "through")
        return {"ok": True}

    return Job("init", run, path=path or f"project-{next(_names)}", **kw)


@pytest.fixture
def manager():
    before = set(threading.enumerate())
    jobs = JobManager(max_workers=1, max_pending=1)
    yield jobs
    jobs.shutdown(timeout=10)
    assert [t for t in threading.enumerate() if t not in before and t.is_alive()] == []


def test_a_job_runs_and_reports_events_result_and_state(manager):
    gate = threading.Event()
    job = manager.submit(blocking_job(gate))
    gate.set()
    assert job.done.wait(5)
    snap = job.snapshot()
    assert snap["state"] == "succeeded" and snap["result"] == {"ok": True} and snap["error"] is None
    assert [(e["index"], e["state"]) for e in snap["events"]] == [(0, "start"), (1, "done")]
    assert job.snapshot(since=1)["events"][0]["message"] == "through" and snap["next_event"] == 2


def test_the_queue_is_bounded(manager):
    gate = threading.Event()
    running = manager.submit(blocking_job(gate))
    queued = manager.submit(blocking_job(gate))  # one worker busy: this one waits
    with pytest.raises(TooManyJobs) as refused:
        manager.submit(blocking_job(gate))
    assert refused.value.http_status == 429 and "wait for one to finish" in refused.value.message
    gate.set()
    assert running.done.wait(5) and queued.done.wait(5)


def test_cancel_a_queued_job_at_once_and_a_running_one_at_its_next_step(manager):
    gate = threading.Event()
    running = manager.submit(blocking_job(gate))
    queued = manager.submit(blocking_job(gate))
    assert manager.cancel(queued.id).state == "cancelled"
    manager.cancel(running.id)
    assert running.done.wait(5)
    assert running.state == "cancelled" and running.error["reason"] == "cancelled"
    with pytest.raises(Conflict):
        manager.cancel(running.id)
    with pytest.raises(NotFound):
        manager.get("0" * 32)


def test_credentials_are_scrubbed_from_events_errors_and_results():
    token = "ghp_" + "s3cr3t" * 4

    def careless(progress):
        progress.emit("push", "info", f"using {token}")
        raise InvalidInput(f"rejected {token}", details=[f"token {token}"])

    job = Job("push", careless, secrets=(token,))
    job.run()
    text = repr(job.snapshot())
    assert token not in text and REDACTED in text and job.state == "failed"
    assert job.secrets == () and job.fn is None  # the credentials left with the job


def test_an_unexpected_exception_is_a_generic_error_and_a_scrubbed_log_line(caplog):
    token = "ghp_" + "abc123" * 4

    def buggy(progress):
        raise KeyError(f"no such key near {token}")

    job = Job("push", buggy, secrets=(token,))
    with caplog.at_level(logging.ERROR, logger="jupyter_mlops.operations.jobs"):
        job.run()
    assert job.state == "failed" and job.error == {"message": INTERNAL_ERROR, "reason": "internal_error"}
    assert "KeyError" in caplog.text and token not in caplog.text


def test_shutdown_cancels_running_jobs_and_joins_the_workers():
    before = set(threading.enumerate())
    jobs = JobManager(max_workers=2)
    job = jobs.submit(blocking_job(threading.Event()))
    jobs.shutdown(timeout=10)
    assert job.state == "cancelled"
    assert [t for t in threading.enumerate() if t not in before and t.is_alive()] == []


def test_a_second_job_on_the_same_folder_waits_for_the_first(manager):
    gate = threading.Event()
    first = manager.submit(blocking_job(gate, path="projects/wine"))
    with pytest.raises(Conflict, match=f"The init job {first.id} is still (queued|running) on projects/wine"):
        manager.submit(blocking_job(gate, path="projects/wine"))
    gate.set()
    assert first.done.wait(5)
    second = manager.submit(blocking_job(gate, path="projects/wine"))  # the folder is free again
    assert second.done.wait(5) and second.state == "succeeded"
