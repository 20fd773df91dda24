"""The benchmarks vlmsafety ships, one folder each (``vlmsafety/suites/<name>/``)."""

__all__: list[str] = []
