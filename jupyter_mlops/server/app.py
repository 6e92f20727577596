"""The extension application: configuration, the job manager's lifetime, the route table."""

from __future__ import annotations

import asyncio

from jupyter_server.extension.application import ExtensionApp
from traitlets import Int, List, Unicode

from ..operations.jobs import JobManager
from .handlers import routes


class MlopsExtension(ExtensionApp):
    """Configure with ``c.MlopsExtension.max_workers`` / ``max_pending`` in jupyter_server_config."""

    name = "jupyter_mlops"
    load_other_extensions = True

    max_workers = Int(2, config=True, help="Jobs (init, push, check, run, sync) that run at the same time.")
    max_pending = Int(16, config=True, help="Jobs that may wait for a worker; beyond that, 429.")
    github_hosts = List(
        Unicode(),
        default_value=["github.com"],
        config=True,
        help="Hosts (HOST or HOST:PORT) of the GitHub APIs the server's own GITHUB_TOKEN / GH_TOKEN may be sent "
        "to; github.com stands for api.github.com, a GitHub Enterprise host for HOST/api/v3. A request that "
        "brings its own token may name any github_url.",
    )

    def initialize_settings(self) -> None:
        self.jobs = JobManager(max_workers=self.max_workers, max_pending=self.max_pending)

    def initialize_handlers(self) -> None:
        self.handlers.extend(routes())

    async def stop_extension(self) -> None:
        # Cancel running jobs at their next step and wait for the worker threads: none outlives the server.
        await asyncio.to_thread(self.jobs.shutdown)
