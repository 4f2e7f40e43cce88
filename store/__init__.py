"""The score store: every scored result kept by platform and account, feedback, and their retention.

Pure library on SQLAlchemy 2 (no Flask): ``api`` and ``cli`` use it, and it uses ``model``'s records only.
Results are written behind the response (:mod:`store.writer`); reads and feedback go straight to the database.
"""

from store.database import Store, StoreDisabled, StoreUnavailable, normalise_url
from store.rows import NotStored, StoredResult, result_row

__all__ = ["NotStored", "Store", "StoreDisabled", "StoreUnavailable", "StoredResult", "normalise_url", "result_row"]
