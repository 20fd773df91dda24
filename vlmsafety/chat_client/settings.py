"""Endpoint settings of the chat client: base URL, model and key from arguments or the environment.

Example:
    >>> chat_url("http://h:8000/v1")
    'http://h:8000/v1/chat/completions'
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from vlmsafety.errors import EndpointError

__all__ = ["ChatSettings", "Messages", "chat_url", "image_data_url", "resolve_settings"]


Messages = Sequence[Mapping[str, Any]]
"""An OpenAI chat ``messages`` list."""

@dataclass(frozen=True)
class ChatSettings:
    """Resolved endpoint settings. ``repr`` hides the key."""

    base_url: str
    model: str
    api_key: str | None = field(default=None, repr=False)


def resolve_settings(
    base_url: str | None = None,
    model: str | None = None,
    api_key: str | None = None,
    *,
    env_prefix: str = "VLMSAFETY_JUDGE",
) -> ChatSettings:
    """Settings from arguments, else from ``<env_prefix>_BASE_URL`` / ``_MODEL`` / ``_API_KEY``.

    The key falls back to ``OPENAI_API_KEY`` and may be absent (local servers).

    Raises:
        EndpointError: base URL or model is missing; the message names the variable.

    Raises:
        EndpointError: the base URL is not an ``http(s)://`` URL with a host.

    Example:
        >>> resolve_settings("http://localhost:8000/v1", "qwen", "secret")
        ChatSettings(base_url='http://localhost:8000/v1', model='qwen')
        >>> resolve_settings("localhost:8000", "qwen")
        Traceback (most recent call last):
        ...
        vlmsafety.errors.EndpointError: endpoint 'localhost:8000' is not usable: it does not start
        with http:// or https://; expected an http(s) URL such as http://localhost:8000/v1
        >>> import os; os.environ.pop("VLMSAFETY_JUDGE_MODEL", None) and None
        >>> resolve_settings("http://localhost:8000")
        Traceback (most recent call last):
        ...
        vlmsafety.errors.EndpointError: no model given: pass --model NAME (model=... in Python) or set
        VLMSAFETY_JUDGE_MODEL
    """
    env = os.environ
    url = base_url or env.get(f"{env_prefix}_BASE_URL")
    flag = "--endpoint" if env_prefix == "VLMSAFETY_GENERATE" else "--base-url"
    if not url:
        raise EndpointError(
            f"no endpoint given: pass {flag} URL (base_url=... in Python) or set "
            f"{env_prefix}_BASE_URL (an OpenAI-compatible server, e.g. http://localhost:8000/v1)"
        )
    name = model or env.get(f"{env_prefix}_MODEL")
    if not name:
        raise EndpointError(f"no model given: pass --model NAME (model=... in Python) or set "
                            f"{env_prefix}_MODEL")
    key = api_key or env.get(f"{env_prefix}_API_KEY") or env.get("OPENAI_API_KEY") or None
    _check_url(url)
    return ChatSettings(url, name, key)


def _check_url(url: str) -> None:
    """Refuse a base URL that is not ``http(s)://host[:port][/path]`` before any work is done."""
    import urllib.parse

    parts = urllib.parse.urlsplit(url)
    problem = None
    if parts.scheme not in ("http", "https"):
        problem = (f"its scheme is {parts.scheme!r}" if parts.scheme and parts.netloc
                   else "it does not start with http:// or https://")
    elif not parts.hostname:
        problem = "it has no host"
    else:
        try:
            _ = parts.port  # parsing it raises on a bad port
        except ValueError:
            problem = "its port is not a number in 0-65535"
    if problem is not None:
        from vlmsafety.chat_client.redact import redact

        raise EndpointError(f"endpoint {redact(url)!r} is not usable: {problem}; expected an http(s) "
                            "URL such as http://localhost:8000/v1")


def chat_url(base_url: str) -> str:
    """The chat-completions URL for a base URL given with or without ``/v1``.

    Example:
        >>> chat_url("http://h:8000"), chat_url("http://h:8000/v1/")
        ('http://h:8000/v1/chat/completions', 'http://h:8000/v1/chat/completions')
        >>> chat_url("https://api.example.com/openai/v1/chat/completions")
        'https://api.example.com/openai/v1/chat/completions'
    """
    url = base_url.rstrip("/")
    if url.endswith("/chat/completions"):
        return url
    if url.endswith("/v1"):
        return url + "/chat/completions"
    return url + "/v1/chat/completions"


def image_data_url(data: bytes, mime: str = "image/png") -> str:
    """A ``data:`` URL for an ``image_url`` content part.

    Example:
        >>> image_data_url(b"abc")
        'data:image/png;base64,YWJj'
    """
    import base64

    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"

