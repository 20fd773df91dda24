"""Downloading MSTS's images: bounded concurrency, timeouts, retries, size limits, a local cache.

The release lists its 200 images as URLs (158 on Wikimedia). :func:`fetch_images` gets each one,
from its URL or from a mirror serving ``<image id>.<ext>``, with

* at most ``concurrency`` requests in flight (a thread pool over one :class:`httpx.Client`);
* a timeout per request (each connect/read, and the whole body), and up to ``retries`` more
  attempts on a timeout, a connection error, HTTP 429 or 5xx (exponential back-off, honouring a
  short ``Retry-After``); a 404 is final;
* redirects followed (at most 5), and the descriptive :data:`USER_AGENT` that Wikimedia's policy
  asks for;
* a size limit enforced while streaming (a body past it is dropped), then the checks of
  :func:`~vlmsafety.suites.msts.builder.images.check_image` (format, full decode, bomb limit);
* an :class:`ImageCache`: a usable image is stored as ``<image id>-<url hash>.<ext>`` with an
  atomic rename, so an interrupted build resumes where it stopped and a rebuild downloads nothing.

Example:
    >>> import tempfile, pathlib
    >>> from vlmsafety.suites.msts.builder.images import placeholder_png
    >>> cache = ImageCache(pathlib.Path(tempfile.mkdtemp()))
    >>> path = cache.put("unsafe_image_0001", "https://example.org/a.jpg", placeholder_png(), "png")
    >>> path.name
    'unsafe_image_0001-700caca5ae8f856f.png'
    >>> cache.find("unsafe_image_0001", "https://example.org/a.jpg") == path
    True
    >>> [u.rsplit("/", 1)[1] for u in mirror_urls("http://127.0.0.1:8000/m/", "img_1",
    ...                                           "https://x.org/a.JPG?2020")]
    ['img_1.jpg', 'img_1.png', 'img_1.jpeg', 'img_1.webp']
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from vlmsafety.errors import CacheError
from vlmsafety.storage.checksums import bytes_sha256
from vlmsafety.suites.msts.builder.images import check_image
from vlmsafety.suites.msts.builder.schema import IMAGE_EXTENSIONS, MAX_IMAGE_BYTES, USER_AGENT

__all__ = ["FetchJob", "ProblemCause", "FetchSettings", "Fetched", "ImageCache", "fetch_images", "mirror_urls"]

ProblemCause = Literal["missing", "download_failed", "unusable"]
"""Why an image is not usable: absent (HTTP 404, no file), not downloaded (timeouts, connection
errors, other HTTP errors, after the retries) or not an acceptable image (size, format, decode)."""

_RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
_MAX_RETRY_AFTER = 30.0


@dataclass(frozen=True)
class FetchSettings:
    """How images are downloaded (see the module docstring)."""

    timeout: float = 30.0
    retries: int = 3
    concurrency: int = 4
    backoff: float = 1.0
    max_bytes: int = MAX_IMAGE_BYTES
    user_agent: str = USER_AGENT


@dataclass(frozen=True)
class FetchJob:
    """One image to get: ``key`` names it in the cache (the release URL, or the mirror's
    ``<mirror>/<image id>``); ``urls`` are tried in order until one is not a 404."""

    image_id: str
    key: str
    urls: tuple[str, ...]


@dataclass(frozen=True)
class Fetched:
    """The outcome for one image: ``path`` (in the cache) when usable, else ``problem``;
    ``url`` is where the bytes came from (after redirects), ``"cache"`` when already cached."""

    image_id: str
    path: Path | None
    url: str
    problem: str | None = None
    cause: ProblemCause | None = None


class ImageCache:
    """Usable images on disk, named ``<image id>-<first 16 hex of sha256(key)>.<ext>``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _stem(self, image_id: str, key: str) -> str:
        return f"{image_id}-{bytes_sha256(key.encode('utf-8'))[:16]}"

    def find(self, image_id: str, key: str) -> Path | None:
        """The cached file of this image and key, if any (not re-checked here)."""
        stem = self._stem(image_id, key)
        for ext in IMAGE_EXTENSIONS:
            path = self.root / f"{stem}.{ext}"
            if path.is_file():
                return path
        return None

    def put(self, image_id: str, key: str, data: bytes, ext: str) -> Path:
        """Store ``data`` atomically (temporary file in the cache folder, then renamed).

        Raises:
            CacheError: the file cannot be written (an unwritable folder, a full disk).
        """
        path = self.root / f"{self._stem(image_id, key)}.{ext}"
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=self.root)
        except OSError as exc:
            raise CacheError(f"cannot write to the image cache {self.root}: {exc} (choose "
                             "another folder with --cache / cache_dir)") from exc
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException as exc:
            Path(tmp).unlink(missing_ok=True)
            if isinstance(exc, OSError):
                raise CacheError(f"cannot write {path}: {exc}") from exc
            raise
        return path


def mirror_urls(mirror: str, image_id: str, release_url: str) -> list[str]:
    """The URLs tried on a mirror: ``<image id>.<ext>``, the release URL's extension first."""
    suffix = Path(urlsplit(release_url).path).suffix.lower().lstrip(".")
    order = [suffix] if suffix in IMAGE_EXTENSIONS else []
    order += [e for e in IMAGE_EXTENSIONS if e not in order]
    return [f"{mirror.rstrip('/')}/{image_id}.{ext}" for ext in order]


@dataclass(frozen=True)
class _Response:
    """One GET: ``status``, ``body`` and the final URL, or why it failed (``failure``) and
    whether another attempt may succeed (``retry``; timeout, connection, 429, 5xx)."""

    status: int = 0
    body: bytes = b""
    url: str = ""
    failure: str | None = None
    cause: ProblemCause = "download_failed"
    retry: bool = False
    retry_after: float | None = None


def _download(client: Any, url: str, settings: FetchSettings) -> _Response:
    """One GET, the body streamed within the size limit and the whole-request deadline."""
    import httpx

    deadline = time.monotonic() + settings.timeout
    try:
        with client.stream("GET", url) as response:
            status, final = response.status_code, str(response.url)
            if status in _RETRY_STATUS:
                return _Response(status, url=final, failure=f"HTTP {status}", retry=True,
                                 retry_after=_retry_after(response.headers))
            if status != 200:
                return _Response(status, url=final)
            declared = int(response.headers.get("Content-Length") or 0)
            if declared > settings.max_bytes:
                return _Response(status, url=final, cause="unusable", failure=(
                    f"too large (Content-Length {declared:,} > {settings.max_bytes:,} bytes)"))
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > settings.max_bytes:
                    return _Response(status, url=final, cause="unusable", failure=(
                        f"too large (more than {settings.max_bytes:,} bytes)"))
                if time.monotonic() > deadline:
                    return _Response(status, url=final, retry=True, failure=(
                        f"timed out after {settings.timeout:g} s (body too slow)"))
                chunks.append(chunk)
            return _Response(status, b"".join(chunks), final)
    except httpx.TooManyRedirects as exc:
        return _Response(url=url, failure=f"too many redirects ({exc})")
    except httpx.TimeoutException:
        return _Response(url=url, failure=f"timed out after {settings.timeout:g} s", retry=True)
    except httpx.TransportError as exc:
        return _Response(url=url, failure=f"{type(exc).__name__}: {exc}", retry=True)


def _retry_after(headers: Any) -> float | None:
    try:
        return min(float(headers.get("Retry-After", "")), _MAX_RETRY_AFTER)
    except ValueError:
        return None


def _get(client: Any, url: str, settings: FetchSettings) -> _Response:
    """:func:`_download` with up to ``settings.retries`` retries of a retryable failure; the
    last failure names the number of attempts."""
    for attempt in range(settings.retries + 1):
        response = _download(client, url, settings)
        if not response.retry:
            return response
        if attempt == settings.retries:
            break
        time.sleep(response.retry_after if response.retry_after is not None
                   else settings.backoff * 2 ** attempt)
    return _Response(url=response.url,
                     failure=f"{response.failure} ({settings.retries + 1} attempt(s))")


def _fetch_one(client: Any, job: FetchJob, cache: ImageCache, settings: FetchSettings) -> Fetched:
    cached = cache.find(job.image_id, job.key)
    if cached is not None and check_image(cached.read_bytes(),
                                          max_bytes=settings.max_bytes).problem is None:
        return Fetched(job.image_id, cached, "cache")
    tried = []
    for url in job.urls:
        response = _get(client, url, settings)
        if response.failure is not None:
            return Fetched(job.image_id, None, url, f"{response.failure}: {url}", response.cause)
        if response.status in (404, 410):
            tried.append(url)
            continue
        if response.status != 200:
            return Fetched(job.image_id, None, url, f"HTTP {response.status}: {url}",
                           "download_failed")
        checked = check_image(response.body, max_bytes=settings.max_bytes)
        if checked.problem is not None:
            return Fetched(job.image_id, None, response.url, f"{checked.problem}: {response.url}",
                           "unusable")
        path = cache.put(job.image_id, job.key, response.body, checked.ext)
        return Fetched(job.image_id, path, response.url)
    return Fetched(job.image_id, None, job.urls[-1], "not found (HTTP 404): " + ", ".join(tried),
                   "missing")


def fetch_images(jobs: Sequence[FetchJob], cache: ImageCache, settings: FetchSettings, *,
                 progress: bool = True) -> dict[str, Fetched]:
    """Fetch every job's image into ``cache`` (see the module docstring); never raises for one
    image: its :class:`Fetched` carries the problem.

    Raises:
        CacheError: the cache folder cannot be created or written.
    """
    import httpx
    from tqdm.auto import tqdm

    try:
        cache.root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # before any download
        raise CacheError(f"cannot create the image cache {cache.root}: {exc} (choose another "
                         "folder with --cache / cache_dir)") from exc
    timeout = httpx.Timeout(settings.timeout)
    limits = httpx.Limits(max_connections=settings.concurrency)
    out: dict[str, Fetched] = {}
    with httpx.Client(timeout=timeout, limits=limits, follow_redirects=True, max_redirects=5,
                      headers={"User-Agent": settings.user_agent}) as client, \
            ThreadPoolExecutor(max_workers=max(1, settings.concurrency)) as pool, \
            tqdm(total=len(jobs), unit="image", desc="msts images", disable=not progress) as bar:
        futures = [pool.submit(_fetch_one, client, job, cache, settings) for job in jobs]
        try:
            for future in as_completed(futures):
                result = future.result()
                out[result.image_id] = result
                bar.update(1)
        except BaseException:  # Ctrl-C: drop the queued images (the cache keeps the done ones)
            for future in futures:
                future.cancel()
            raise
    return out
