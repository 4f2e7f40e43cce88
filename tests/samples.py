"""The web page's bundled samples, built from the behavioural cases: ``python -m tests.samples``.

The committed files in ``api/static/samples`` are this module's output; ``tests/test_page.py`` keeps them equal.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests import behaviour

FOLDER = Path(__file__).resolve().parent.parent / "api" / "static" / "samples"
SAMPLES: list[tuple[str, str, Callable[[], dict[str, Any]]]] = [
    ("scheduler-bot", "Scheduler bot: one link template every 10 minutes", behaviour.scheduler_bot),
    ("office-hours-troll", "Persona in Texas posting in Beijing office hours", lambda: behaviour.office_hours_troll(8)),
    ("hijacked", "Old account: silence, then a new language, client and links", behaviour.hijacked_account),
    ("modern-user", "Ordinary 2023 user: phone clients, long texts, quotes", behaviour.modern_user),
]


def files() -> dict[str, str]:
    """File name -> text of every sample and of the index the page reads."""
    out = {f"{name}.json": json.dumps(build(), indent=1) + "\n" for name, _, build in SAMPLES}
    index = [{"name": name, "title": title, "format": "native", "file": f"{name}.json"} for name, title, _ in SAMPLES]
    out["index.json"] = json.dumps(index, indent=1) + "\n"
    return out


def main() -> int:
    """Writes the samples."""
    FOLDER.mkdir(parents=True, exist_ok=True)
    for name, text in files().items():
        (FOLDER / name).write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
