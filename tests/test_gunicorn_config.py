"""The gunicorn settings a worker starts with (``api.server``), read in a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_gunicorn_worker_init_freezes_the_loaded_and_raises_the_young_threshold() -> None:
    # A fresh interpreter: the config sets environment variables and the collector's state process-wide.
    script = (
        "import gc, runpy; settings = runpy.run_module('api.server'); "
        "default = gc.get_threshold(); settings['post_worker_init'](None); "
        "print(gc.get_freeze_count() > 0, gc.get_threshold()[0] == settings['GC_YOUNG_THRESHOLD'], "
        "gc.get_threshold()[1:] == default[1:], settings['GC_YOUNG_THRESHOLD'] > default[0])"
    )
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True", "True", "True"]
