"""Coordinated groups in a batch of accounts: shared actions -> co-actions in a window -> graph -> groups.

``actions`` collects what accounts do that others could do too, ``graph`` finds the pairs that did it
together and the groups they form, ``evidence`` says what each group did against chance, and
``network`` runs the steps; ``settings`` holds how coordination is judged.
"""

from model.coordination.actions import BEHAVIOURS, ActionCollector, ActionTable, Behaviour
from model.coordination.evidence import Group
from model.coordination.network import Coordination, coordinate
from model.coordination.settings import Settings

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
