"""MSTS (Röttger et al., arXiv 2501.10057): a multimodal safety test suite in 11 languages.

The release readers are :mod:`vlmsafety.suites.msts.release`; the one mapping of MSTS's response
taxonomy onto the behaviour vocabulary is :mod:`vlmsafety.suites.msts.labels`.
"""

__all__: list[str] = []
