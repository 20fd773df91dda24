"""The circuit breaker that stops a batch against an endpoint that does not work."""

from __future__ import annotations

from vlmsafety.errors import InvalidArgumentError

__all__ = ["CircuitBreaker"]


class CircuitBreaker:
    """Stops a batch against an endpoint that does not work (see the module notes).

    It starts *half-open*: the first request of a batch is a probe, sent alone; its failure trips
    the breaker at once. After a success it is *closed* and trips when ``limit`` results in a row
    are failures. One breaker may span several batches (pass the same one to each call).

    Args:
        limit: Consecutive failed results that trip it; 0 turns the probe and the breaker off.

    Example:
        >>> b = CircuitBreaker(2)
        >>> b.probing, b.record(True), b.probing
        (True, False, False)
        >>> b.record(False), b.record(True), b.record(False), b.record(False)
        (False, False, False, True)
        >>> (b.failures, b.consecutive, b.successes)
        (3, 2, 2)
    """

    def __init__(self, limit: int) -> None:
        if limit < 0:
            raise InvalidArgumentError(f"max_consecutive_failures must be >= 0, got {limit}")
        self.limit = limit
        self.probing = limit > 0
        self.consecutive = self.failures = self.successes = 0

    def record(self, ok: bool) -> bool:
        """Count one final result; return whether the breaker trips now."""
        if ok:
            self.consecutive = 0
            self.successes += 1
            self.probing = False
            return False
        self.consecutive += 1
        self.failures += 1
        return self.limit > 0 and self.consecutive >= self.limit

