"""Secrets never leave the chat client: one rule that removes them from every text it hands out.

The API key, and the user name and password of a URL such as ``http://user:pw@host/v1``, are
credentials. Every text that leaves :class:`~vlmsafety.chat_client.ChatClient` (a failed
request's error, which becomes a predictions file's ``error`` and a judged line's ``reason``; a
reply text; the probe's and the breaker's messages; a settings error) and every command line
recorded in ``results.json`` or rendered in ``report.md`` goes through :func:`redact`, which

* replaces the credentials of any URL in the text with ``***`` (``http://***@host/v1``), and
* replaces every known secret value with ``***``: the key in use, the keys in the environment
  (``OPENAI_API_KEY`` and every ``*_API_KEY`` variable of vlmsafety), a URL's password and the
  ``user:password`` pair in the base64 form a server may echo from a Basic ``Authorization``
  header. Values shorter than :data:`MIN_SECRET` characters are not searched for: they are not
  real keys, and replacing them would mangle ordinary text.

Example:
    >>> redact("POST http://bob:hunter22@h:8000/v1 failed")
    'POST http://***@h:8000/v1 failed'
    >>> redact("echo: Authorization: Bearer sk-test-123456", ["sk-test-123456"])
    'echo: Authorization: Bearer ***'
    >>> url_credentials("http://bob:hunter22@h/v1"), url_credentials("http://h/v1")
    (('bob', 'hunter22'), None)
"""

from __future__ import annotations

import base64
import os
import re
import urllib.parse
from collections.abc import Iterable

__all__ = ["MIN_SECRET", "REDACTED", "redact", "secrets_of", "strip_credentials",
           "url_credentials"]

REDACTED = "***"
MIN_SECRET = 8
"""Shortest secret value that :func:`redact` searches for."""

_KEY_VARIABLES = ("OPENAI_API_KEY", "VLMSAFETY_JUDGE_API_KEY", "VLMSAFETY_GENERATE_API_KEY")
_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s@\"'<>]+@")


def url_credentials(url: str) -> tuple[str, str] | None:
    """The ``(user, password)`` a URL carries, or ``None`` when it has none."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return None
    return (urllib.parse.unquote(parts.username or ""),
            urllib.parse.unquote(parts.password or ""))


def strip_credentials(url: str) -> str:
    """``url`` without its ``user:password@`` part.

    Example:
        >>> strip_credentials("https://u:p@api.example.com:8443/v1")
        'https://api.example.com:8443/v1'
    """
    parts = urllib.parse.urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def secrets_of(api_key: str | None = None, *urls: str | None) -> tuple[str, ...]:
    """The secret values to search for: ``api_key``, the keys in the environment, and each
    URL's password, ``user:password`` and its base64 form (a Basic ``Authorization`` value)."""
    found = [api_key or ""]
    found += [os.environ.get(name, "") for name in _KEY_VARIABLES]
    for url in urls:
        creds = url_credentials(url) if url else None
        if creds is not None:
            pair = f"{creds[0]}:{creds[1]}"
            found += [creds[1], pair, base64.b64encode(pair.encode()).decode("ascii")]
    return tuple(sorted({s for s in found if len(s) >= MIN_SECRET}, key=len, reverse=True))


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with URL credentials and every secret of ``secrets`` (and of the environment,
    see :func:`secrets_of`) replaced by ``***``."""
    text = _USERINFO.sub(lambda m: f"{m['scheme']}{REDACTED}@", text)
    known = {*secrets_of(), *(s for s in secrets if len(s) >= MIN_SECRET)}
    for secret in sorted(known, key=len, reverse=True):  # "user:pw" before "pw"
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text
