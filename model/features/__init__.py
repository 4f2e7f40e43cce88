"""Behavioural features of one account: the single pure function shared by training and serving.

The table (``table``) declares every feature; each family computes its own columns of the vector:
``profile``, ``timing`` (volume, rhythm, clock), ``content`` (clients, content), ``consistency``
(history against recent activity), over the timeline's columns in time order (``columns``). The
function reads no clock and gives the same vector for any order of the posts.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from model.features.columns import columns_of
from model.features.consistency import consistency_features
from model.features.content import client_features, content_features
from model.features.profile import profile_features, zone_features
from model.features.table import FEATURE_INDEX, FEATURE_NAMES, FEATURES, MISSING, N_FEATURES, FeatureSpec
from model.features.timing import timing_features
from model.records import Account, Post, Timeline

__all__ = ["FEATURES", "FEATURE_INDEX", "FEATURE_NAMES", "MISSING", "N_FEATURES", "FeatureSpec", "extract_features"]


def extract_features(account: Account, posts: Sequence[Post], as_of: float) -> np.ndarray:
    """Computes the behavioural feature vector of one account.

    Args:
        account: Profile metadata.
        posts: Recent posts, in any order; 0 to any number. A :class:`~model.records.Timeline` is used
            as it is (the serving path builds one); other sequences of posts are turned into one.
        as_of: UTC epoch seconds of the snapshot (``observed_at``). Posts stamped later are treated
            as posted at ``as_of`` (clock skew), and account age is measured to it.

    Returns:
        A float64 vector aligned with :data:`FEATURE_NAMES`; every entry finite, ``MISSING`` where
        the input cannot support the feature.
    """
    out = np.full(N_FEATURES, MISSING, dtype=np.float64)
    profile_features(account, as_of, out)
    if len(posts):
        columns = columns_of(Timeline.from_posts(posts), as_of)
        timing_features(columns.t, out)
        client_features(columns.sources, out)
        content_features(columns, out)
        consistency_features(account, columns, out)
    zone_features(account, len(posts), as_of, out)
    # Guard against any arithmetic corner that slipped through: the contract is finite values only.
    np.nan_to_num(out, copy=False, nan=MISSING, posinf=MISSING, neginf=MISSING)
    return out
