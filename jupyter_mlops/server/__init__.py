"""The Jupyter server extension: REST routes under ``<base_url>/jupyter-mlops/api/`` (see openapi.yaml).

Enabled on ``pip install`` by ``etc/jupyter/jupyter_server_config.d/jupyter_mlops.json``.
"""

from .app import MlopsExtension

__all__ = ["MlopsExtension"]
