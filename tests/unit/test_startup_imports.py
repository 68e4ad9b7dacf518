"""A server should start small: the statistics libraries behind metrics and agreement load on first use."""

import subprocess
import sys

HEAVY = ("statsmodels", "krippendorff", "scipy", "sklearn", "pandas")


def test_serving_modules_do_not_import_the_statistics_stack() -> None:
    code = (
        "import sys, inloop.api.app, inloop.web.app, inloop.worker;"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == ""
