"""Uploaded files and pasted text as a stream of text lines, within the upload limits.

An upload is read a chunk at a time and split into lines as it comes; the byte, line and line
length limits stop the reading as soon as one is passed, so a refused file costs no more
memory than an accepted one: the whole file is never held, decoded and split at once (a 190 MB
TSV was refused by the row limit only after the worker had grown to 2.4 GB). Text is decoded
by ``formats.decode_lines``: UTF-8 (BOM optional), UTF-16 with a BOM, else Latin-1 (which never
fails). No Django.
"""

from __future__ import annotations

import codecs
import itertools
import re

from analysis.engine.formats import InputError, decode_lines


class UploadError(InputError):
    """An upload that cannot be read as a signature; the message says what to fix."""


CHUNK_BYTES = 64 * 1024
MAX_LINE_BYTES = 1024 * 1024

_BYTE_LINES = re.compile(rb"[^\r\n]+")
_TEXT_LINES = re.compile(r"[^\r\n]+")
NEWLINES = frozenset({"\n", "\r", b"\n", b"\r"})


def _chunks(file, *, max_bytes: int):
    """The file's bytes a chunk at a time; UploadError once more than ``max_bytes`` came."""
    total = 0
    while chunk := file.read(CHUNK_BYTES):
        total += len(chunk)
        if total > max_bytes:
            raise UploadError(f"the file is larger than {max_bytes / 2**20:.3g} MB")
        yield chunk


def _split(pieces, pattern):
    """Non-empty lines (ends dropped) of a stream of bytes or text pieces, in order."""
    pending = None
    for piece in pieces:
        if not piece:
            continue
        piece = piece if pending is None else pending + piece
        lines = pattern.findall(piece)
        pending = None if piece[-1:] in NEWLINES else lines.pop()
        if pending is not None and len(pending) > MAX_LINE_BYTES:
            raise UploadError(f"a line is longer than {MAX_LINE_BYTES // 2**20} MB")
        yield from lines
    if pending:
        yield pending


def file_lines(file, *, head: bytes, max_bytes: int):
    """The text lines of a binary file object; ``head`` is what was read of it already."""
    chunks = itertools.chain([head], _chunks(file, max_bytes=max_bytes - len(head)))
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _split(codecs.iterdecode(chunks, "utf-16"), _TEXT_LINES)
    return decode_lines(_split(chunks, _BYTE_LINES))


def text_lines(text: str):
    """The non-empty lines of pasted text, one at a time."""
    return (match.group() for match in _TEXT_LINES.finditer(text))


def checked_lines(lines, *, max_rows: int):
    """Lines with content (GEO ``!`` comments dropped), at most ``max_rows`` of them, no NUL."""
    n = 0
    for line in lines:
        if "\x00" in line:
            raise UploadError("the file is binary, not a text table")
        if not line.strip() or line.lstrip().startswith("!"):
            continue
        n += 1
        if n > max_rows:
            raise UploadError(
                f"the upload has more than {max_rows:,} lines; at most {max_rows:,} are read"
            )
        yield line
