"""What the service keeps: every scored result by platform and account, feedback, retention, and API key records.

Pure library on SQLAlchemy 2 (no Flask): ``api`` and ``cli`` use it, and it uses ``model``'s records only.
Results are written behind the response (:mod:`store.writer`); reads and feedback go straight to the
database. Key records (:mod:`store.keys`) live in a JSON file the operator keeps.
"""

from store.database import Store, normalise_url
from store.rows import StoredResult, result_row

__all__ = ["Store", "StoredResult", "normalise_url", "result_row"]
