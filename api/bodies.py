"""Reading a request body within the size limit, whatever way it arrives.

With ``Content-Length`` Werkzeug refuses an oversized body itself (413). A chunked body has no
length: Werkzeug cut it at the limit without a word, so an oversized request reached the JSON
parser truncated ("unexpected end of data", 400). And a body sent with ``Content-Encoding: gzip``
was read as if it were plain. Here both get what they ask for: one byte more than the limit is
read, and too much is a 413; gzip is inflated in steps that stop at the limit (a small
compressed body cannot expand into gigabytes), and any other encoding is a 415.
"""

from __future__ import annotations

import zlib

from flask import Request
from werkzeug.exceptions import RequestEntityTooLarge

from model.errors import UnsupportedMediaType

# Read and inflated in pieces of this size.
CHUNK = 1 << 16


def _too_large(limit: int) -> RequestEntityTooLarge:
    return RequestEntityTooLarge(f"The body is larger than {limit} bytes (MAX_CONTENT_LENGTH).")


def _read_raw(request: Request, limit: int) -> bytes:
    if request.content_length is not None:
        return request.get_data(cache=False)  # Werkzeug answers 413 above the limit before reading
    # Chunked: the server's input stream ends at the last chunk; read at most one byte past the limit.
    stream = request.environ["wsgi.input"]
    parts, size = [], 0
    while size <= limit:
        part = stream.read(min(CHUNK, limit + 1 - size))
        if not part:
            break
        parts.append(part)
        size += len(part)
    if size > limit:
        raise _too_large(limit)
    return b"".join(parts)


def _gunzip(data: bytes, limit: int) -> bytes:
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    out, size = [], 0
    pending = data
    try:
        while pending or not inflater.eof:
            piece = inflater.decompress(pending, CHUNK)
            pending = inflater.unconsumed_tail
            size += len(piece)
            if size > limit:
                raise _too_large(limit)
            out.append(piece)
            if not piece and not pending:
                break
    except zlib.error as exc:
        raise UnsupportedMediaType(f"The body is not valid gzip: {exc}") from exc
    return b"".join(out)


def read(request: Request, limit: int) -> bytes:
    """The body's bytes, decoded from gzip if it says so.

    Raises:
        RequestEntityTooLarge: the body (or what it inflates to) is over ``limit`` bytes.
        UnsupportedMediaType: a content encoding other than identity or gzip, or broken gzip.
    """
    encoding = (request.headers.get("Content-Encoding") or "identity").strip().lower()
    if encoding not in ("identity", "gzip", "x-gzip"):
        raise UnsupportedMediaType(f"Content-Encoding {encoding} is not supported: send identity or gzip.")
    data = _read_raw(request, limit)
    return data if encoding == "identity" else _gunzip(data, limit)
