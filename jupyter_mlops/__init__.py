"""jupyter-mlops: an ML project repository, pushed and wired for Kubeflow Pipelines, from Jupyter.

Importing this package must stay cheap: `%load_ext jupyter_mlops` and `jupyter mlops --help` import it.
Everything heavy (kfp, github, git, tornado, ipywidgets) is imported inside the functions that use it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._version import __version__

if TYPE_CHECKING:
    from ipywidgets import Widget

__all__ = ["__version__", "load_ipython_extension", "wizard"]


def load_ipython_extension(ipython):  # pragma: no cover - exercised through IPython in tests
    from .notebook.magics import register

    register(ipython)


def wizard(path: str = ".") -> Widget:
    """The ipywidgets project wizard (works in any notebook front end, no Jupyter server needed)."""
    from .notebook.wizard import Wizard

    return Wizard(root=path).widget


def _jupyter_server_extension_points():
    from .server import MlopsExtension  # only the Jupyter server calls this

    return [{"module": "jupyter_mlops.server", "app": MlopsExtension}]


def _jupyter_labextension_paths():
    return [{"src": "labextension", "dest": "jupyter-mlops"}]
