"""Where the project's shared reference data lives: `shared/` beside the repository (as on
every developer machine and in CI), unless an environment variable points elsewhere."""

import os
from pathlib import Path

SHARED_DATA = Path(
    os.environ.get("CASEWORK_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)
HSDS_SPEC_DIR = Path(os.environ.get("HSDS_SPEC_DIR", SHARED_DATA / "hsds-3.0"))
MIAMI_ZIP = Path(
    os.environ.get("HSDS_MIAMI_ZIP", SHARED_DATA / "miami-211-2019" / "datapackage-2019-07-29.zip")
)
