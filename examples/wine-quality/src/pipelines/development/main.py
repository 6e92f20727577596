"""Entry point of the development branch: `python src/pipelines/development/main.py --help`.

Its configuration sits beside it: platform.yaml (endpoints, auth; org-owned) and config.yaml
(experiment, data, parameters; project-owned). CI on the development branch runs this file.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from src.helpers.entrypoint import main  # noqa: E402

BRANCH = "development"

if __name__ == "__main__":
    raise SystemExit(main(BRANCH))
