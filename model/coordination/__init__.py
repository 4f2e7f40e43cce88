"""Coordinated groups in a batch of accounts: shared actions -> co-actions in a window -> graph -> groups."""

from model.coordination.actions import BEHAVIOURS, ActionCollector, ActionTable, Behaviour
from model.coordination.network import Coordination, Group, Settings, coordinate

__all__ = [
    "BEHAVIOURS",
    "ActionCollector",
    "ActionTable",
    "Behaviour",
    "Coordination",
    "Group",
    "Settings",
    "coordinate",
]
