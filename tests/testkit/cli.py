"""Running the installed ``inloop`` console script as a user would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

INLOOP = str(Path(sys.executable).parent / "inloop")


def run_inloop(
    *args: object, stdin: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [INLOOP, *map(str, args)],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=120,
        check=False,
        cwd=cwd,
    )
