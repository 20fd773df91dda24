"""Hand labelling: the seeded sample, the session kept in the human-labels file, the local page.

``vlmsafety annotate`` is the command; :mod:`vlmsafety.human_labels` is the file it writes.

* :func:`load_annotation_set` - rows, responses and each model's seeded sample (:mod:`.items`).
* :class:`Session` - answer, skip, undo and resume over the file (:mod:`.session`).
* :func:`serve` - the page on 127.0.0.1 (:mod:`.server`).

Example:
    >>> from vlmsafety.annotation import stratum_of
    >>> stratum_of({"label": "unsafe"}, ["label"])
    'label=unsafe'
"""

from __future__ import annotations

from vlmsafety.annotation.items import (
    AnnotationSet,
    ImageStore,
    Item,
    infer_benchmark,
    load_annotation_set,
    stratum_of,
)
from vlmsafety.annotation.server import make_app, serve
from vlmsafety.annotation.session import Session

__all__ = ["AnnotationSet", "ImageStore", "Item", "Session", "infer_benchmark",
           "load_annotation_set", "make_app", "serve", "stratum_of"]
