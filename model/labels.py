"""The class names every part speaks: what a labelled account is, and the label of an account no head claims."""

from __future__ import annotations

HUMAN = "human"
BOT = "bot"
TROLL = "troll"
HIJACKED = "hijacked"
