"""The extension application: configuration, the job manager's lifetime, the route table."""

from __future__ import annotations

import asyncio

from jupyter_server.extension.application import ExtensionApp
from traitlets import Int

from ..operations.jobs import JobManager


class MlopsExtension(ExtensionApp):
    """Configure with ``c.MlopsExtension.max_workers`` / ``max_pending`` in jupyter_server_config."""

    name = "jupyter_mlops"
    load_other_extensions = True

    max_workers = Int(2, config=True, help="Jobs (init, push, check, run, sync) that run at the same time.")
    max_pending = Int(16, config=True, help="Jobs that may wait for a worker; beyond that, 429.")

    def initialize_settings(self) -> None:
        self.jobs = JobManager(max_workers=self.max_workers, max_pending=self.max_pending)

    def initialize_handlers(self) -> None:
        from .handlers import routes

        self.handlers.extend(routes())

    async def stop_extension(self) -> None:
        # Cancel running jobs at their next step and wait for the worker threads: none outlives the server.
        await asyncio.to_thread(self.jobs.shutdown)
