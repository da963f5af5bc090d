#!/usr/bin/env python3
"""netfuzz: a network fuzzer for a live glossd.

Several fuzzing connections hammer glossd over TLS with protocol lines (random
requests built from the verbs and argument names of docs/PROTOCOL.md, mutated
valid lines, random bytes, invalid UTF-8, overlong lines, pipelined bursts,
abrupt closes mid-line and mid-TLS-record) while a probe connection keeps doing
real work (PING, ADD by quote, GET, LIST every 50 ms) and checks every answer.

Findings:

- a reply ``ERR internal`` (bad input must never get it);
- an ``ERR`` or ``BYE`` line longer than 2,000 bytes, or a message over 1,000 code points;
- a line from the server that is not UTF-8, does not parse by the grammar, is
  not printed canonically, or is not a reply, record or event of the protocol;
- an ``ERR`` code or ``BYE`` code that docs/PROTOCOL.md does not list;
- a tagged request without a final reply within 30 s while its session is open
  (or answered by an untagged ``* ERR``, or left unanswered before ``QUIT``'s reply),
  and a server that reads nothing of a connection's input for 30 s;
- a line with one known fault (invalid UTF-8, a NUL escape, an escape that is
  not 1 to 6 hexadecimal digits, a line over ``max-line``) answered with another code;
- a session closed by the server without ``* BYE`` (or ``OK bye=yes``), and a
  plaintext client not told ``* BYE tls-required``;
- the server process dying (with ``--server-pid``).

The probe counts failures apart: a wrong or missing answer, or none within 30 s.

Every connection draws its lines from its own generator seeded with
``--seed``, the worker and the session number: a run with the same seed makes
the same choices in every session, except that the ids and revisions the server
hands out differ from run to run (so do the byte mutations of lines that carry
them), and so does timing (how long a session lasts). Standard library only; ``scripts/netfuzz`` starts a private
glossd and runs this against it.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import dataclasses
import hashlib
import json
import math
import multiprocessing
import os
import random
import re
import socket
import ssl
import sys
import threading
import time
import traceback
import unicodedata
import uuid

# ---------------------------------------------------------------------------
# What docs/PROTOCOL.md defines
# ---------------------------------------------------------------------------

#: Each verb with the argument names the verb table gives it (plus `key` for writes, `rev` for edits).
VERB_ARGUMENTS = {
    "HELLO": ["version"],
    "AUTH": ["token"],
    "PING": [],
    "WHOAMI": [],
    "QUIT": [],
    "DOC-PUT": ["project", "id", "title", "text", "key"],
    "DOC-GET": ["id", "project"],
    "DOC-LIST": ["project"],
    "ADD": ["doc", "project", "start", "end", "quote", "occurrence", "label", "note", "tag", "key"],
    "GET": ["id"],
    "LIST": ["project", "doc", "label", "author", "status", "since", "deleted", "after", "limit"],
    "CONFLICTS": ["project", "doc", "label", "author", "status", "since", "deleted", "after", "limit"],
    "SET": ["id", "start", "end", "quote", "occurrence", "label", "note", "rev", "key"],
    "RESOLVE": ["id", "start", "end", "quote", "occurrence", "label", "note", "status", "comment", "rev", "key"],
    "TAG": ["id", "tag", "rev", "key"],
    "UNTAG": ["id", "tag", "rev", "key"],
    "DELETE": ["id", "rev", "key"],
    "RESTORE": ["id", "rev", "key"],
    "REVIEW": ["id", "status", "comment", "rev", "key"],
    "SUBSCRIBE": ["doc", "project"],
    "UNSUBSCRIBE": ["sub"],
}

#: The codes of the error table.
ERROR_CODES = frozenset("""
    line-too-long invalid-utf8 malformed unknown-verb bad-argument unsupported-version auth-required
    auth-failed auth-throttled already-authenticated forbidden not-found document-too-large
    document-exists key-reused too-many-requests too-many-subscriptions span-empty span-reversed
    span-out-of-range quote-empty quote-not-found quote-ambiguous occurrence-out-of-range
    quote-mismatch prefix-mismatch suffix-mismatch value-too-long invalid-tag invalid-identifier
    invalid-character splits-character annotation-deleted invalid-value unavailable internal
    shutting-down idle-timeout auth-timeout too-many-connections tls-required subscriber-too-slow
    access-revoked
""".split())

#: The codes a `* BYE` may carry.
BYE_CODES = frozenset(
    "shutting-down idle-timeout auth-timeout too-many-connections tls-required subscriber-too-slow access-revoked".split()
)

#: Keys every record line must carry.
ANNOTATION_KEYS = (
    "id project doc start end quote prefix suffix label note tags status comment creator created updated deleted rev"
).split()
RECORD_KEYS = {
    "ANNOTATION": ANNOTATION_KEYS,
    "CONFLICT": "id field value author time".split(),
    "DOC": "id project title".split(),
    "EVENT": "sub seq change by".split() + ANNOTATION_KEYS,
    "GLOSS": "version versions max-line".split(),
}

HANG_SECONDS = 30.0
LONG_ERROR_BYTES = 2_000
LONG_MESSAGE_CODE_POINTS = 1_000
PROBE_INTERVAL = 0.05

TAG_RE = re.compile(r"[A-Za-z0-9._-]{1,32}")
WORD_RE = re.compile(r"[A-Za-z-]{1,32}")
KEY_RE = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,31}")
HEX_RE = re.compile(r"[0-9A-Fa-f]{1,6}")
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
OPS_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*:[1-9][0-9]*(,[A-Za-z0-9][A-Za-z0-9._-]*:[1-9][0-9]*)*")

# The request side, on raw bytes, as the server reads it: a tag after optional
# whitespace, followed by whitespace or the end of the line (a CR before the LF is ignored).
REQUEST_TAG_RE = re.compile(rb"[ \t]*([A-Za-z0-9._-]{1,32})(?:[ \t]|\Z)")
QUIT_RE = re.compile(rb"[ \t]*[A-Za-z0-9._-]{1,32}[ \t]+[Qq][Uu][Ii][Tt][ \t]*\Z")
AUTH_RE = re.compile(rb"[ \t]*[A-Za-z0-9._-]{1,32}[ \t]+[Aa][Uu][Tt][Hh](?:[ \t]|\Z)")

#: The article the fuzzer aims at: accents precomposed and with combining marks,
#: emoji sequences, flags, CJK, Hangul, Greek, Cyrillic, Hebrew and Arabic.
ARTICLE_ID = "article"
ARTICLE_TITLE = "Article"
ARTICLE = (
    "Gloss fuzz article. In Zürich the café opened early; in Montréal the cafe\u0301 opened late, "
    "and Søren met Ångström near the fjord. 東京と大阪で会議が開かれ、東京の代表が発言した。"
    "서울에서도 회의가 열렸다. Families \U0001F468\u200d\U0001F469\u200d\U0001F467\u200d\U0001F466 and flags "
    "\U0001F1EF\U0001F1F5\U0001F1FA\U0001F1F8 filled the hall; a wave \U0001F44B\U0001F3FD and a heart \u2764\ufe0f followed. "
    "Nguye\u0302\u0303n Thị Minh Khai spoke Tiếng Việt. Ελληνικά, Русский текст, עברית ו-العربية. "
    "The café closed; the cafe\u0301 stayed open."
)

#: Quotes the probe adds: each is made of whole user-perceived characters wherever it occurs.
PROBE_QUOTES = [
    "Zürich", "café", "cafe\u0301", "東京", "大阪", "서울에서도", "Søren", "Ångström",
    "\U0001F468\u200d\U0001F469\u200d\U0001F467\u200d\U0001F466", "\U0001F1EF\U0001F1F5", "\U0001F1FA\U0001F1F8",
    "\U0001F44B\U0001F3FD", "\u2764\ufe0f", "Nguye\u0302\u0303n", "Tiếng Việt", "Ελληνικά", "Русский", "עברית",
    "العربية", "fjord",
]


# ---------------------------------------------------------------------------
# The grammar: parsing and canonical printing of server lines
# ---------------------------------------------------------------------------


class GrammarError(ValueError):
    """A line that does not follow the grammar of docs/PROTOCOL.md."""


@dataclasses.dataclass
class Line:
    """A parsed protocol line: tag, word and arguments as (key or None, value)."""

    tag: str
    word: str
    args: list

    def get(self, key):
        """The value of the named argument `key`, or None."""
        for name, value in self.args:
            if name == key:
                return value
        return None

    @property
    def positional(self):
        """The values of the positional arguments."""
        return [value for name, value in self.args if name is None]

    @property
    def named(self):
        """The named arguments as a dict (the first value of each key)."""
        out = {}
        for name, value in self.args:
            if name is not None:
                out.setdefault(name, value)
        return out


def is_control(ch):
    """Control characters as the grammar counts them: C0, DEL, C1, U+2028 and U+2029."""
    o = ord(ch)
    return o < 0x20 or 0x7F <= o <= 0x9F or o in (0x2028, 0x2029)


CONTROLS = "\x00-\x1f\x7f-\x9f\u2028\u2029"
SPACE_RUN = re.compile(r"[ \t]*")
WORD_RUN = re.compile(r"[^ \t]*")
KEY_RUN = re.compile(r'[^ \t="]*')
BARE_RUN = re.compile(f'[^ \\t"{CONTROLS}]*')
QUOTED_RUN = re.compile(f'[^"\\\\{CONTROLS}]*')
NEEDS_QUOTES_RE = re.compile(f'[ \\t"\\\\{CONTROLS}]')
QUOTE_TABLE = {ord('"'): '\\"', ord("\\"): "\\\\", 10: "\\n", 13: "\\r", 9: "\\t"}
for _cp in [*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029]:
    QUOTE_TABLE.setdefault(_cp, "\\u{%x}" % _cp)


def _skip_space(text, i):
    """Where the whitespace at `i` ends."""
    return SPACE_RUN.match(text, i).end()


def _scan_word(text, i):
    """Where the word at `i` ends (at whitespace or the end)."""
    return WORD_RUN.match(text, i).end()


def _parse_bare(text, i):
    """A bare value at `i` and where it ends."""
    end = BARE_RUN.match(text, i).end()
    if end < len(text) and text[end] not in " \t":
        raise GrammarError("a quote inside a bare value" if text[end] == '"' else "a control character in a bare value")
    if end == i:
        raise GrammarError("an empty bare value")
    return text[i:end], end


def _parse_escape(text, i, out):
    """Decodes the escape after a backslash at `i` into `out`; returns where it ends."""
    if i >= len(text):
        raise GrammarError("the line ends inside an escape")
    ch = text[i]
    simple = {'"': '"', "\\": "\\", "n": "\n", "r": "\r", "t": "\t"}
    if ch in simple:
        out.append(simple[ch])
        return i + 1
    if ch != "u" or i + 1 >= len(text) or text[i + 1] != "{":
        raise GrammarError(f"unknown escape \\{ch}")
    close = text.find("}", i + 2)
    digits = text[i + 2:close] if close >= 0 else ""
    if close < 0 or not HEX_RE.fullmatch(digits):
        raise GrammarError("a \\u{…} escape without 1 to 6 hexadecimal digits")
    value = int(digits, 16)
    if value == 0 or value > 0x10FFFF or 0xD800 <= value <= 0xDFFF:
        raise GrammarError(f"\\u{{{digits}}} is not an allowed code point")
    out.append(chr(value))
    return close + 1


QUOTED_TOKEN = re.compile(f'"((?:[^"\\\\{CONTROLS}]+|\\\\["\\\\nrt]|\\\\u\\{{[0-9A-Fa-f]{{1,6}}\\}})*)"')
ESCAPE_RE = re.compile(r'\\(["\\nrt]|u\{([0-9A-Fa-f]{1,6})\})')
SIMPLE_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "r": "\r", "t": "\t"}


def _unescape(match):
    """The character an escape stands for."""
    if match.group(2) is None:
        return SIMPLE_ESCAPES[match.group(1)]
    value = int(match.group(2), 16)
    if value == 0 or value > 0x10FFFF or 0xD800 <= value <= 0xDFFF:
        raise GrammarError(f"\\u{{{match.group(2)}}} is not an allowed code point")
    return chr(value)


def _parse_quoted(text, i):
    """A quoted value at `i` (decoded) and where it ends."""
    token = QUOTED_TOKEN.match(text, i)
    if token and (token.end() == len(text) or text[token.end()] in " \t"):
        return ESCAPE_RE.sub(_unescape, token.group(1)), token.end()
    return _parse_quoted_slowly(text, i)


def _parse_quoted_slowly(text, i):
    """The same, a piece at a time, to say what is wrong."""
    i += 1
    out = []
    while True:
        run = QUOTED_RUN.match(text, i)
        out.append(run.group())
        i = run.end()
        if i >= len(text):
            raise GrammarError("an unclosed quoted value")
        ch = text[i]
        if ch == '"':
            i += 1
            if i < len(text) and text[i] not in " \t":
                raise GrammarError("a closing quote not followed by whitespace or the end")
            return "".join(out), i
        if ch != "\\":
            raise GrammarError("an unescaped control character inside quotes")
        i = _parse_escape(text, i + 1, out)


def _parse_argument(text, i):
    """An argument at `i` as (key or None, value), and where it ends."""
    if text[i] == '"':
        value, i = _parse_quoted(text, i)
        return (None, value), i
    j = KEY_RUN.match(text, i).end()
    if j < len(text) and text[j] == "=" and KEY_RE.fullmatch(text[i:j]):
        key = text[i:j]
        j += 1
        if j < len(text) and text[j] == '"':
            value, j = _parse_quoted(text, j)
        else:
            value, j = _parse_bare(text, j)
        return (key, value), j
    value, j = _parse_bare(text, i)
    return (None, value), j


def parse_line(text):
    """Parses one line (without its LF) by the grammar; raises GrammarError."""
    if text.endswith("\r"):
        text = text[:-1]
    end = _scan_word(text, 0)
    tag = text[:end]
    if tag != "*" and not TAG_RE.fullmatch(tag):
        raise GrammarError(f"{tag[:40]!r} is not a tag")
    i = _skip_space(text, end)
    if i == end:
        raise GrammarError("no whitespace and word after the tag")
    end = _scan_word(text, i)
    word = text[i:end]
    if not WORD_RE.fullmatch(word):
        raise GrammarError(f"{word[:40]!r} is not a word")
    args = []
    i = end
    while True:
        j = _skip_space(text, i)
        if j >= len(text):
            break
        if j == i:
            raise GrammarError("arguments not separated by whitespace")
        argument, i = _parse_argument(text, j)
        args.append(argument)
    return Line(tag, word, args)


def needs_quotes(value, positional):
    """Whether the canonical printer quotes `value` (LinePrinter.needsQuotes)."""
    if value == "":
        return True
    if positional and value.startswith('"'):
        return True
    if positional and "=" in value and KEY_RE.fullmatch(value[:value.index("=")]):
        return True
    return NEEDS_QUOTES_RE.search(value) is not None


def quote_value(value):
    """`value` between quotes with the canonical escapes (LinePrinter.quote)."""
    return '"' + value.translate(QUOTE_TABLE) + '"'


def print_argument(key, value):
    """One argument in canonical form."""
    if key is None:
        return quote_value(value) if needs_quotes(value, True) else value
    return key + "=" + (quote_value(value) if needs_quotes(value, False) else value)


def print_line(line):
    """A line in canonical form (LinePrinter.print)."""
    return " ".join([line.tag, line.word] + [print_argument(k, v) for k, v in line.args])


def request_tag(raw):
    """The tag the server should answer a request line with, or None when none can be read."""
    if raw.endswith(b"\r"):
        raw = raw[:-1]
    match = REQUEST_TAG_RE.match(raw)
    return match.group(1).decode("ascii") if match else None


def line_shape(raw):
    """What sort of line a request is, in the words of a finding."""
    body = raw[:-1] if raw.endswith(b"\r") else raw
    if body[:1] in (b" ", b"\t"):
        return "a line starting with whitespace"
    if raw.endswith(b"\r"):
        return "a tag alone, then CR" if REQUEST_TAG_RE.fullmatch(body) else "a line ending in CR"
    return "a line"


#: Shapes of line whose tag the server reads only when the line is well formed (LineParser
#: skips leading whitespace and drops a final CR; the tag of an error reply is read without
#: doing either): an error may come back untagged.
UNTAGGED_ERROR_SHAPES = ("a line starting with whitespace", "a tag alone, then CR")


def is_quit(raw):
    """Whether a request line is a well-formed QUIT."""
    return bool(QUIT_RE.match(raw[:-1] if raw.endswith(b"\r") else raw))


def show(data, limit=200):
    """Bytes or text as a printable excerpt of at most `limit` characters."""
    if isinstance(data, bytes):
        text = data[: limit * 4].decode("utf-8", "backslashreplace")
        total = len(data)
    else:
        text, total = data[: limit * 4], len(data.encode("utf-8", "surrogatepass"))
    text = "".join(ch if not is_control(ch) else "\\u{%x}" % ord(ch) for ch in text[: limit * 2])
    if len(text) > limit or total > limit * 4:
        return text[:limit] + f"…({total} bytes in all)"
    return text


def check_reply(line, text):
    """Problems with a parsed server line: a list of (finding kind, detail)."""
    problems = []
    size = len(text.encode("utf-8"))
    if line.word in ("ERR", "BYE"):
        if size > LONG_ERROR_BYTES:
            problems.append(("long-error-line", f"{line.word} line of {size} bytes"))
        if len(line.args) != 2 or any(name is not None for name, _ in line.args):
            problems.append(("unexpected-reply", f"{line.word} without exactly a code and a message"))
            return problems
        code, message = line.positional
        if len(message) > LONG_MESSAGE_CODE_POINTS:
            problems.append(("long-error-line", f"{code} message of {len(message)} code points"))
        if line.word == "BYE":
            if line.tag != "*":
                problems.append(("unexpected-reply", "a tagged BYE"))
            if code not in BYE_CODES:
                problems.append(("unknown-bye-code", f"BYE {code}"))
        elif code == "internal":
            problems.append(("internal-error", show(message, 160)))
        elif code not in ERROR_CODES:
            problems.append(("undocumented-error-code", f"ERR {code}"))
        return problems
    if line.tag != "*":
        if line.word != "OK":
            problems.append(("unexpected-reply", f"tagged line with word {line.word}"))
        elif any(name is None for name, _ in line.args):
            problems.append(("unexpected-reply", "OK with a positional argument"))
        return problems
    required = RECORD_KEYS.get(line.word)
    if required is None:
        problems.append(("unexpected-reply", f"untagged word {line.word}"))
        return problems
    missing = [key for key in required if line.get(key) is None]
    if missing:
        problems.append(("unexpected-reply", f"* {line.word} without {','.join(missing[:4])}="))
    return problems


# ---------------------------------------------------------------------------
# Findings and figures
# ---------------------------------------------------------------------------


class Findings:
    """Every finding, grouped by kind and detail, with the inputs that caused them. Thread-safe."""

    EXAMPLES = 3

    def __init__(self, seed):
        """Groups findings of a run seeded with `seed`."""
        self.seed = seed
        self.lock = threading.Lock()
        self.groups = collections.OrderedDict()
        self.started = time.monotonic()

    def add(self, kind, detail, line=b"", where="", reply="", context=None):
        """Records one finding: what, why, the input line that caused it, the reply seen,
        and optionally more context (such as the last lines the connection sent)."""
        with self.lock:
            group = self.groups.setdefault((kind, detail), {"kind": kind, "detail": detail, "count": 0, "examples": []})
            group["count"] += 1
            if len(group["examples"]) < self.EXAMPLES:
                group["examples"].append({
                    "line": show(line) if line else "",
                    "reply": show(reply) if reply else "",
                    "where": where,
                    "seed": self.seed,
                    "second": round(time.monotonic() - self.started, 1),
                    **({"context": context} if context else {}),
                })

    def total(self):
        """How many findings in all."""
        with self.lock:
            return sum(group["count"] for group in self.groups.values())

    def as_list(self):
        """The groups of findings, for the report."""
        with self.lock:
            return [dict(group) for group in self.groups.values()]


class Stats:
    """Counters of the run (touched from the event loop, and by the probe under its own lock)."""

    def __init__(self):
        """All counters at zero."""
        self.lines_sent = 0
        self.bytes_sent = 0
        self.connections = 0
        self.sessions = collections.Counter()
        self.actions = collections.Counter()
        self.replies = collections.Counter()
        self.reply_lines = 0
        self.unmatched_replies = 0
        self.unattributable = 0
        self.max_rss_kib = 0


def percentile(sorted_values, fraction):
    """The value at `fraction` (0..1) of sorted values, nearest rank."""
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, math.ceil(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def reply_key(line):
    """How a final reply or BYE is counted: `OK`, `ERR code`, `* ERR code`, `* BYE code`."""
    if line.word == "OK":
        return "OK"
    code = line.positional[0] if line.positional else "?"
    return f"{'* ' if line.tag == '*' else ''}{line.word} {code}"


# ---------------------------------------------------------------------------
# Values and lines to send
# ---------------------------------------------------------------------------


def category_pools(rng):
    """Up to 64 code points of every Unicode general category (surrogates kept apart)."""
    pools = collections.defaultdict(list)
    for cp in range(0, 0x110000, 7):
        pools[unicodedata.category(chr(cp))].append(cp)
    return {name: [chr(cp) for cp in rng.sample(cps, min(64, len(cps)))] for name, cps in pools.items()}


SPECIAL_STRINGS = [
    "'; DROP TABLE annotations;--", "' OR '1'='1", "\"; DROP TABLE users; --", "$1", "%s%s%n", "\\x00", "E'\\\\x00'",
    "); SELECT pg_sleep(40);--", "NULL", "null", "\\N", "::text", "a\\u{0}b", "${jndi:ldap://x}", "../../etc/passwd",
    "\u202eevil\u202c", "\ufeff", "\ufffe\uffff", "\U0010FFFF", "e\u0301", "\U0001F468\u200d\U0001F469\u200d\U0001F467",
    "\U0001F1EF\U0001F1F5", "Zürich", "東京", "=", "==", "a=b", "key=value", '"', '""', "\\", "\t", "\r\n", " ",
    "\u2028", "\u0085", "\x7f", "\x00", "*", "-", ".", "..", "-1", "0", "yes", "no",
]

SPECIAL_NUMBERS = [
    "0", "1", "-1", "2", "-0", "+5", "007", "1e3", "0x10", "1.5", " 5", "2147483647", "2147483648", "-2147483648",
    "4294967296", "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
    "18446744073709551615", "18446744073709551616", "99999999999999999999999999999999", "١٢", "NaN", "inf",
]

ESCAPES = [
    "\\u{0}", "\\u{00}", "\\u{000000}", "\\u{110000}", "\\u{D800}", "\\u{DFFF}", "\\u{}", "\\u{1234567}",
    "\\u{FFFFFF}", "\\u{-1}", "\\u{+1}", "\\u{+0}", "\\u{g}", "\\u{1F600}", "\\u{1f1ef}\\u{1f1f5}", "\\u{301}",
    "\\u{2028}", "\\u{7f}", "\\u{a0}", "\\u", "\\u{", "\\x41", "\\0", "\\", "\\\\", '\\"', "\\n\\r\\t", "\\u{10FFFF}",
]

INVALID_UTF8 = [
    b"\xc0\xaf", b"\xe0\x80\xaf", b"\xf0\x80\x80\xaf", b"\xed\xa0\x80", b"\xed\xbf\xbf", b"\xf4\x90\x80\x80",
    b"\xf5\x80\x80\x80", b"\xff", b"\xfe", b"\x80", b"\xbf", b"\xc3", b"\xe6\x9d", b"\xf0\x9f\x98", b"\xc3\x28",
    b"\xa0\xa1", b"\xf8\x88\x80\x80\x80", b"\xfc\x84\x80\x80\x80\x80",
]

INTERESTING_BYTES = [
    b"\x00", b"\n", b"\r", b" ", b"\t", b'"', b"\\", b"=", b"\x7f", b"\x80", b"\xc0", b"\xff", b"\xe2\x80\xa8",
    b"\\u{", b"}", b"*", b",", b":", b"\xcc\x81", b"\r\n", b"\\u{0}",
]


class Shared:
    """What the fuzzing connections learn and share: annotation ids, revisions, tokens."""

    def __init__(self, options, max_line):
        """Knowledge shared by the connections of a run against a server with `max_line`."""
        self.options = options
        self.max_line = max_line
        self.ids = collections.deque(maxlen=300)
        self.revs = collections.deque(maxlen=100)
        self.docs = collections.deque(["article"], maxlen=50)
        self.bad_auth_times = collections.deque()

    def may_fail_auth(self):
        """Whether a failing AUTH may be sent now: at most 5 a minute, half the server's throttle."""
        now = time.monotonic()
        while self.bad_auth_times and now - self.bad_auth_times[0] > 61:
            self.bad_auth_times.popleft()
        if len(self.bad_auth_times) >= 5:
            return False
        self.bad_auth_times.append(now)
        return True


class LineFactory:
    """Builds request lines: grammar-aware random ones, valid ones, mutations, junk."""

    def __init__(self, rng, shared, pools, tag_prefix):
        """A factory drawing from `rng`, with tags starting with `tag_prefix`."""
        self.rng = rng
        self.shared = shared
        self.pools = pools
        self.tag_prefix = tag_prefix
        self.counter = 0
        self.subscriptions = []

    # -- tags

    def tag(self):
        """A fresh tag; now and then a strange one."""
        self.counter += 1
        roll = self.rng.random()
        if roll < 0.97:
            return f"{self.tag_prefix}.{self.counter}"
        return self.rng.choice(["*", "a" * 32, "a" * 33, "t\u00e9", "-", ".", "_", "a!b", "", "0", "T-1.x_y"])

    # -- values

    def unicode_text(self, length):
        """Text of `length` code points from every general category (no surrogates)."""
        names = [name for name in self.pools if name != "Cs"]
        chunk = "".join(self.rng.choice(self.pools[self.rng.choice(names)]) for _ in range(min(length, 64)))
        if length <= 64:
            return chunk[:length]
        return (chunk * (length // len(chunk) + 1))[:length]

    def long_string(self):
        """A long value: letters, repeated graphemes, or random text, up to a few MB."""
        size = self.rng.choices([201, 1_000, 5_000, 20_001, 100_001, 300_000, 1_048_577, 2_500_000],
                                [22, 22, 16, 16, 10, 8, 4, 2])[0]
        unit = self.rng.choice(["a", "x", "é", "e\u0301", "東", "\U0001F600", "\U0001F468\u200d\U0001F469", '"', "\\", " x"])
        return (unit * (size // len(unit) + 1))[:size]

    def number(self):
        """A whole number: an offset in the article, a huge one, or an odd spelling of one."""
        if self.rng.random() < 0.5:
            return str(self.rng.randint(-5, len(ARTICLE) + 5))
        if self.rng.random() < 0.2:
            return str(self.rng.randint(-(2**70), 2**70))
        return self.rng.choice(SPECIAL_NUMBERS)

    def learned(self, values, otherwise):
        """One of the values learned from the server so far, or `otherwise` when there are none.
        Always draws one number, however many there are, so that a replay makes the same choices."""
        index = self.rng.random()
        return values[int(index * len(values))] if values else otherwise

    def annotation_id(self):
        """An annotation id: one this run created, a random UUID, or a malformed one."""
        roll = self.rng.random()
        made_up = str(uuid.UUID(int=self.rng.getrandbits(128)))
        known = self.learned(self.shared.ids, made_up)
        if roll < 0.6:
            return known
        if roll < 0.8:
            return made_up
        return self.rng.choice(["", "0", str(uuid.UUID(int=0)), "ffffffff-ffff-ffff-ffff-ffffffffffff", "zzzz", "{" + made_up + "}",
                                made_up.upper(), made_up.replace("-", ""), "x" * 36])

    def slug(self):
        """A project or document id, valid or not (too long, wrong characters)."""
        return self.rng.choice(["demo", "article", "demo", "article", self.learned(self.shared.docs, "article"), "nope", "a" * 64, "a" * 65,
                                "a" * 128, "a" * 129, "-a", "a/b", "Demo", "ARTICLE", "démo", "a b", ".", "..", "_"])

    def quote_of_article(self):
        """A piece of the article, sometimes cut inside a user-perceived character."""
        start = self.rng.randrange(len(ARTICLE))
        return ARTICLE[start:start + self.rng.randint(1, 12)]

    def revision(self):
        """A `rev=` value: one seen in a reply, made-up dots, or broken and huge ones."""
        roll = self.rng.random()
        seen = self.learned(self.shared.revs, "dev:1")
        if roll < 0.4:
            return seen
        if roll < 0.7:
            return ",".join(f"dev:{self.rng.randint(1, 50_000)}" for _ in range(self.rng.randint(1, 4)))
        return self.rng.choice(["", "dev:0", "dev:-1", "dev:18446744073709551616", "dev", ":1", "dev:1,", ",", "x:1:2",
                                ",".join(["dev:1"] * 10_001), ",".join(f"r{i}:1" for i in range(3000)), "dev:1" * 50])

    def token(self):
        """A good token or a broken one (sessions not yet authenticated send broken ones within a budget)."""
        good = [self.shared.options.token_analyst, self.shared.options.token_reader]
        token = self.rng.choice(good)
        if self.rng.random() < 0.5:
            return token
        return self.rng.choice([token[:-1] + "0", token + "0", "gloss_1_" + "0" * 64, "gloss_-1_" + "a" * 64, "gloss__",
                                "gloss_99999999999999999999_" + "a" * 64, "", "x"])

    def value_for(self, key):
        """A value that fits `key` (most of the time) or anything at all."""
        if self.rng.random() < 0.25:
            return self.any_value()
        if key in ("project",):
            return self.slug()
        if key in ("doc",):
            return self.rng.choice(["article", "article", self.slug()])
        if key == "id":
            return self.annotation_id() if self.rng.random() < 0.7 else self.slug()
        if key in ("start", "end", "occurrence", "limit", "after", "since", "sub"):
            return self.number()
        if key == "quote":
            return self.quote_of_article() if self.rng.random() < 0.7 else self.any_value()
        if key == "rev":
            return self.revision()
        if key in ("status",):
            return self.rng.choice(["open", "accepted", "rejected", "OPEN", "", "closed"])
        if key == "deleted":
            return self.rng.choice(["yes", "no", "YES", "1", ""])
        if key == "version":
            return self.rng.choice(["1", "1,2", "2", "", ",", "1,,2", "99999999999999999999", "-1", "1 ,2", "0,1"])
        if key == "token":
            return self.token()
        if key == "text":
            return self.rng.choice([self.unicode_text(self.rng.randint(1, 300)), ARTICLE, self.long_string(), ""])
        return self.any_value()

    def any_value(self):
        """Any value: Unicode of every category, SQL metacharacters, numbers, long strings, ids."""
        roll = self.rng.random()
        if roll < 0.30:
            return self.unicode_text(self.rng.choice([1, 2, 5, 20, 100, 201, 1000]))
        if roll < 0.50:
            return self.rng.choice(SPECIAL_STRINGS)
        if roll < 0.60:
            return self.number()
        if roll < 0.68:
            return self.long_string()
        if roll < 0.80:
            return self.quote_of_article()
        if roll < 0.90:
            return self.annotation_id()
        return "".join(self.rng.choice(SPECIAL_STRINGS + [self.unicode_text(3)]) for _ in range(self.rng.randint(2, 6)))

    def encode_value(self, value, positional=False):
        """A value as written on the line: canonical most of the time, else raw, broken or full of escapes."""
        roll = self.rng.random()
        if roll < 0.75:
            return quote_value(value) if needs_quotes(value, positional) else value
        if roll < 0.82:
            return quote_value(value)
        if roll < 0.87:
            return value.replace("\n", " ") or "x"
        if roll < 0.92:
            inner = "".join(self.rng.choice([value[:20], self.rng.choice(ESCAPES)]) for _ in range(self.rng.randint(1, 4)))
            return '"' + inner.replace('"', "") + '"'
        if roll < 0.96:
            return '"' + value.replace('"', "")[:50]
        return quote_value(value) + self.rng.choice(["x", '"', "=", "\\"])

    # -- whole lines

    def grammar_line(self):
        """A random request built from the protocol's verbs and argument names."""
        verb = self.rng.choice(list(VERB_ARGUMENTS))
        roll = self.rng.random()
        if roll < 0.06:
            verb = verb.lower() if self.rng.random() < 0.5 else verb.title()
        elif roll < 0.10:
            verb = self.rng.choice(["FOO", "ADD2", "DOC_PUT", "A" * 33, "ÄDD", "GET-", "-", "DOC-PUTT", "LIST*", "PING!"])
        names = list(VERB_ARGUMENTS.get(verb.upper(), [])) or ["x"]
        count = self.rng.choice([0, 1, 2, 3, 4, 6, 10]) if names else 0
        args = []
        for _ in range(count):
            key = self.rng.choice(names)
            extra = self.rng.random()
            if extra < 0.06:
                key = self.rng.choice(["zzz", "Key", "a" * 33, "1abc", "tag", "_x", "é", ""])
            if extra > 0.95:
                args.append(self.encode_value(self.any_value(), positional=True))
                continue
            value = self.encode_value(self.value_for(key))
            args.append(f"{key}={value}" if key else f"={value}")
        if self.rng.random() < 0.1 and args:
            args.append(args[0])
        if self.rng.random() < 0.05:
            args += [f"tag=t{i}" for i in range(self.rng.choice([100, 101, 5000]))]
        separator = " " if self.rng.random() < 0.9 else self.rng.choice(["  ", "\t", " \t ", "\u00a0"])
        ending = "" if self.rng.random() < 0.9 else self.rng.choice([" ", "\t", "\r", " \r"])
        text = separator.join([self.tag(), verb] + args) + ending
        return text.encode("utf-8", "surrogatepass") + b"\n"

    def valid_line(self):
        """A plausible, usually valid request, with the article and the ids learned so far."""
        tag = self.tag()
        rng = self.rng
        pick = rng.random()
        label = rng.choice(["PERSON", "PLACE", "ORG", "ÉVÉNEMENT", "人物", "\U0001F600", "x" * 200, "x" * 201])
        note = rng.choice(["", "a note", "two\nlines", "tab\there", "quote \"x\"", "back\\slash", "x" * 20_000, "x" * 20_001])
        ident = self.annotation_id()
        if pick < 0.05:
            body = rng.choice(["PING", "WHOAMI", "HELLO version=1"])
        elif pick < 0.25:
            quote = rng.choice(PROBE_QUOTES + ["cafe", "e", "\U0001F468", "\U0001F1F5\U0001F1FA", "\u0301"])
            occurrence = f" occurrence={rng.randint(1, 3)}" if rng.random() < 0.4 else ""
            key = f" key=k{rng.randint(1, 30)}" if rng.random() < 0.2 else ""
            body = (f"ADD doc=article quote={print_argument(None, quote)}{occurrence} label={print_argument(None, label)}"
                    f" note={quote_value(note)} tag=fuzz{key}")
        elif pick < 0.35:
            start = rng.randint(0, len(ARTICLE))
            end = start + rng.randint(-1, 20)
            body = f"ADD project=demo doc=article start={start} end={end} label=SPAN"
        elif pick < 0.45:
            body = f"GET id={ident}"
        elif pick < 0.55:
            body = rng.choice([f"LIST doc=article limit={rng.randint(1, 20)}", "LIST project=demo label=PERSON limit=5",
                               f"CONFLICTS project=demo limit={rng.randint(1, 5)}", "DOC-LIST project=demo", "LIST deleted=yes limit=3",
                               f"LIST project=demo since={rng.randint(0, 2**64 - 1)} limit=2"])
        elif pick < 0.62:
            body = rng.choice(["DOC-GET id=article", "DOC-GET id=article project=demo", f"DOC-GET id={self.learned(self.shared.docs, 'article')}"])
        elif pick < 0.67:
            doc = f"fz-{self.tag_prefix}-{self.counter}"
            text = rng.choice([self.unicode_text(rng.randint(1, 2000)), ARTICLE + doc, "x" * rng.choice([10, 1_048_576, 1_048_577])])
            self.shared.docs.append(doc)
            body = f"DOC-PUT project=demo id={doc} title={quote_value(self.unicode_text(rng.randint(1, 40)))} text={quote_value(text)}"
        elif pick < 0.80:
            rev = f" rev={self.revision()}" if rng.random() < 0.5 else ""
            body = rng.choice([
                f"SET id={ident} label={print_argument(None, label)}{rev}", f"SET id={ident} note={quote_value(note)}{rev}",
                f"SET id={ident} quote={print_argument(None, rng.choice(PROBE_QUOTES))}{rev}",
                f"TAG id={ident} tag=t{rng.randint(1, 9)}{rev}", f"UNTAG id={ident} tag=t{rng.randint(1, 9)}{rev}",
                f"DELETE id={ident}{rev}", f"RESTORE id={ident}{rev}", f"RESOLVE id={ident} label=PLACE{rev}",
                f"REVIEW id={ident} status=accepted comment=ok{rev}",
            ])
        elif pick < 0.88:
            if rng.random() < 0.4 and self.subscriptions:
                body = f"UNSUBSCRIBE sub={self.subscriptions.pop()}"
            else:
                body = rng.choice(["SUBSCRIBE doc=article", "SUBSCRIBE project=demo", "SUBSCRIBE doc=article project=demo"])
        else:
            body = f"AUTH token={self.token()}"
        return f"{tag} {body}".encode("utf-8") + b"\n"

    def mutated_line(self):
        """A valid line after one to five byte-level mutations."""
        data = bytearray(self.valid_line()[:-1] if self.rng.random() < 0.7 else self.grammar_line()[:-1])
        for _ in range(self.rng.randint(1, 5)):
            self.mutate(data)
        return bytes(data) + b"\n"

    def mutate(self, data):
        """One mutation in place: bit flip, insertion, deletion, truncation, splicing, duplication, CR/LF."""
        rng = self.rng
        kind = rng.randrange(8)
        at = rng.randint(0, len(data))
        if kind == 0 and data:
            index = rng.randrange(len(data))
            data[index] ^= 1 << rng.randrange(8)
        elif kind == 1:
            data[at:at] = rng.choice(INTERESTING_BYTES) if rng.random() < 0.7 else rng.randbytes(rng.randint(1, 8))
        elif kind == 2 and data:
            del data[at:at + rng.randint(1, 8)]
        elif kind == 3:
            del data[at:]
        elif kind == 4:
            other = self.valid_line()[:-1]
            data[at:] = other[rng.randint(0, len(other)):]
        elif kind == 5 and data:
            start = rng.randrange(len(data))
            piece = data[start:start + rng.randint(1, 16)]
            data[start:start] = piece * rng.choice([1, 2, 10, 1000])
        elif kind == 6:
            data[at:at] = rng.choice([b"\r", b"\n", b"\r\n", b"\n\n", b"\r\r"])
        else:
            data[at:at] = rng.choice(INVALID_UTF8)

    def random_bytes(self):
        """Pure random bytes (with or without line feeds) or invalid UTF-8 sequences."""
        rng = self.rng
        if rng.random() < 0.5:
            data = rng.randbytes(rng.choice([1, 10, 100, 1000, 20_000]))
        else:
            data = b"".join(rng.choice(INVALID_UTF8 + [b"a", b" ", b"="]) for _ in range(rng.randint(1, 200)))
        return data + b"\n"

    def targeted_line(self):
        """A line with one known fault and the reply code it must get: (bytes, expected code)."""
        rng = self.rng
        tag = self.tag_prefix + ".x" + str(self.counter)
        self.counter += 1
        roll = rng.random()
        if roll < 0.5:
            bad = rng.choice(INVALID_UTF8)
            verb = rng.choice(["PING", "ADD", "LIST", "DOC-PUT"])
            line = f"{tag} {verb} note=".encode() + b'"' + bad + b'"' + b"\n"
            return line, "invalid-utf8"
        if roll < 0.9:
            escape = rng.choice(["\\u{0}", "\\u{00}", "\\u{000000}"])
            return f'{tag} {rng.choice(["PING", "ADD", "WHOAMI"])} x="a{escape}b"\n'.encode(), "invalid-character"
        # Not an escape by the grammar (1 to 6 hexadecimal digits): malformed.
        escape = rng.choice(["\\u{+41}", "\\u{-0}", "\\u{+0}", "\\u{ 41}"])
        return f'{tag} PING x="a{escape}b"\n'.encode(), "malformed"

    def overlong_line(self):
        """A line at or above max-line bytes (without its LF): (bytes, expectation)."""
        rng = self.rng
        limit = self.shared.max_line
        tag = f"{self.tag_prefix}.L{self.counter}"
        self.counter += 1
        head = f"{tag} DOC-PUT project=demo title=big text=".encode()
        size = rng.choice([limit, limit + 1, limit + 2, limit + 100_000, int(limit * 1.5), limit * 2])
        body = head + b"a" * (size - len(head))
        if size <= limit:
            return body + b"\n", ("not", "line-too-long")
        return body + b"\n", ("is", "line-too-long")


def without_auth(data):
    """`data` without its AUTH lines."""
    return b"".join(raw + b"\n" for raw in data.split(b"\n")[:-1] if not AUTH_RE.match(raw))


# ---------------------------------------------------------------------------
# A fuzzing connection
# ---------------------------------------------------------------------------


@dataclasses.dataclass
class Pending:
    """A request waiting for its final reply."""

    tag: str
    line: bytes
    sent: float
    paused_at_send: float
    expect: tuple | None = None
    reported: bool = False
    ambiguous: bool = False


class FuzzConnection:
    """One TLS connection of a fuzzing worker: sends lines, reads and checks every reply."""

    def __init__(self, run, where):
        """A connection of `run`, named `where` in findings."""
        self.run = run
        self.where = where
        self.reader = None
        self.writer = None
        self.pending = collections.defaultdict(collections.deque)
        self.partial = b""
        self.quit_sent = False
        self.quit_acked = False
        self.bye = None
        self.closed_by_us = False
        self.eof = asyncio.Event()
        self.pause_request = 0.0
        self.paused_total = 0.0
        self.untagged_errors = []
        self.last_line = b""
        self.max_line = run.max_line
        self.factory = None
        self.last_received = time.monotonic()
        self.sending_since = None
        self.opened = time.monotonic()
        self.who = "?"
        self.recent = collections.deque(maxlen=8)
        self.paused_until = 0.0
        self.end_reason = "end of stream"

    # -- opening and sending

    async def open(self):
        """Connects with TLS and reads the greeting."""
        self.reader, self.writer = await asyncio.wait_for(
            asyncio.open_connection(self.run.options.host, self.run.options.port, ssl=self.run.tls, server_hostname=self.run.options.host,
                                    limit=64 * 1024 * 1024), 20)
        self.run.stats.connections += 1
        raw = await asyncio.wait_for(self.reader.readuntil(b"\n"), 20)
        greeting = self.check_line(raw)
        if greeting is None or greeting.word != "GLOSS":
            self.run.findings.add("unexpected-reply", "no greeting", where=self.where, reply=raw)

    async def send(self, data):
        """Writes `data`, noting the requests in it; False when the connection is gone."""
        if self.eof.is_set() or self.writer is None or self.quit_sent:
            return False
        self.account(data)
        self.sending_since = time.monotonic()
        try:
            self.writer.write(data)
            await asyncio.wait_for(self.writer.drain(), HANG_SECONDS)
        except asyncio.TimeoutError:
            self.run.findings.add("stalled-write", f"the server read too little for {HANG_SECONDS:.0f} s", data, self.where)
            return False
        except (ConnectionError, OSError, ssl.SSLError, RuntimeError):
            return False
        finally:
            self.sending_since = None
        return True

    def account(self, data):
        """Splits what is sent into lines and notes which ones need a tagged reply."""
        self.run.stats.bytes_sent += len(data)
        pieces = (self.partial + data).split(b"\n")
        self.partial = pieces.pop()
        now = time.monotonic()
        for raw in pieces:
            self.run.stats.lines_sent += 1
            self.recent.append(show(raw, 120))
            if self.quit_sent:
                continue
            self.last_line = raw
            tag = request_tag(raw)
            if tag is not None:
                expect = self.run.expectations.pop(raw[:120], None)
                queue = self.pending[tag]
                entry = Pending(tag, raw, now, self.paused_total, expect)
                if queue:  # several requests wait under one tag: which reply is whose is a guess
                    entry.ambiguous = True
                    for other in queue:
                        other.ambiguous = True
                queue.append(entry)
            if len(raw) <= self.max_line and is_quit(raw):
                self.quit_sent = True

    def outstanding(self, plain_only=False):
        """Requests waiting for their final reply (with `plain_only`, only those that cannot be answered untagged)."""
        if plain_only:
            return sum(1 for queue in self.pending.values() for p in queue if line_shape(p.line) not in UNTAGGED_ERROR_SHAPES)
        return sum(len(queue) for queue in self.pending.values())

    def settle(self):
        """Before cutting the connection: requests answered by an untagged * ERR instead of their tag."""
        for queue in self.pending.values():
            for pending in queue:
                if line_shape(pending.line) in UNTAGGED_ERROR_SHAPES:
                    self.report_unanswered(pending, None)

    def report_unanswered(self, pending, why):
        """A request without its final reply: answered untagged (a line the server reads its tag
        from only when it is well formed), or not at all (`why`: hang, or before QUIT's reply)."""
        if pending.reported:
            return
        pending.reported = True
        shape = line_shape(pending.line)
        if pending.ambiguous:
            self.run.stats.unattributable += 1  # another request under the same tag may have taken its reply
            return
        if shape in UNTAGGED_ERROR_SHAPES and any(t >= pending.sent for t in self.untagged_errors):
            self.run.findings.add("untagged-error-for-tagged-request", f"{shape}: answered by * ERR", pending.line, self.where)
            return
        if why is not None:
            kind, detail = why
            self.run.findings.add(kind, detail, pending.line, self.where, context={"last lines sent": list(self.recent)})

    # -- reading

    async def read_loop(self):
        """Reads and checks lines until the connection ends; honours requested pauses."""
        try:
            while True:
                if self.pause_request:
                    pause, self.pause_request = self.pause_request, 0.0
                    self.paused_until = time.monotonic() + pause
                    await asyncio.sleep(pause)
                    self.paused_total += pause
                try:
                    raw = await self.reader.readuntil(b"\n")
                except asyncio.IncompleteReadError as error:
                    if error.partial and not self.closed_by_us:
                        self.run.findings.add("unexpected-reply", "a last line without LF", self.last_line, self.where, error.partial)
                    break
                except asyncio.LimitOverrunError:
                    self.run.findings.add("unexpected-reply", "a reply line over 64 MiB", self.last_line, self.where)
                    break
                except (ConnectionError, OSError, ssl.SSLError) as error:
                    self.end_reason = f"{type(error).__name__}: {error}"
                    break
                self.handle(raw)
        except asyncio.CancelledError:
            pass
        finally:
            self.on_eof()

    def check_line(self, raw):
        """Checks one line from the server; returns it parsed, or None."""
        self.run.stats.reply_lines += 1
        try:
            text = raw[:-1].decode("utf-8")
        except UnicodeDecodeError:
            self.run.findings.add("reply-not-utf8", "a reply line is not UTF-8", self.last_line, self.where, raw)
            return None
        try:
            line = parse_line(text)
        except GrammarError as error:
            self.run.findings.add("unparsable-reply", str(error), self.last_line, self.where, text)
            return None
        if print_line(line) != text:
            self.run.findings.add("non-canonical-reply", f"{line.word} line not printed canonically", self.last_line, self.where, text)
        return line

    def state(self):
        """What the connection is doing, for progress messages."""
        now = time.monotonic()
        sending = f", writing for {now - self.sending_since:.0f} s" if self.sending_since else ""
        oldest = min((p.sent for queue in self.pending.values() for p in queue), default=now)
        return (f"{self.outstanding()} outstanding (oldest sent {now - oldest:.0f} s ago), "
                f"last line from the server {now - self.last_received:.0f} s ago{sending}"
                f"{', QUIT sent' if self.quit_sent else ''}{', QUIT answered' if self.quit_acked else ''}"
                f"{', BYE ' + self.bye if self.bye else ''}{', ended' if self.eof.is_set() else ''}")

    def handle(self, raw):
        """One line from the server: counted, checked, matched with its request."""
        self.last_received = time.monotonic()
        line = self.check_line(raw)
        if line is None:
            return
        text = raw[:-1].decode("utf-8")
        pending = self.pop(line.tag, line.word == "ERR") if line.tag != "*" else None
        cause = pending.line if pending else self.last_line
        for kind, detail in check_reply(line, text):
            self.run.findings.add(kind, detail, cause, self.where, text)
        if line.word in ("OK", "ERR", "BYE"):
            self.run.stats.replies[reply_key(line)] += 1
        if line.tag == "*":
            self.untagged(line)
            return
        if pending is None:
            self.run.stats.unmatched_replies += 1
        else:
            self.check_expectation(pending, line, text)
        self.learn(line)
        if line.word == "OK" and line.get("bye") == "yes":
            self.quit_acked = True
            self.check_nothing_left(text)

    def untagged(self, line):
        """Notes an untagged line: BYE, an untagged ERR, revisions to reuse."""
        if line.word == "BYE":
            self.bye = line.positional[0] if line.positional else "?"
        elif line.word == "ERR":
            self.untagged_errors.append(time.monotonic())
        elif line.word in ("ANNOTATION", "EVENT") and line.get("rev"):
            self.run.shared.revs.append(line.get("rev"))

    def learn(self, line):
        """Keeps ids from OK replies to ADD, and subscription numbers, for later requests."""
        if line.word != "OK":
            return
        ident = line.get("id")
        if ident and UUID_RE.fullmatch(ident) and line.get("start") is not None:
            self.run.shared.ids.append(ident)
        sub = line.get("sub")
        if sub and self.factory is not None:
            self.factory.subscriptions.append(sub)

    def pop(self, tag, error):
        """The oldest request waiting with `tag`. When several wait with it, an ERR goes first to
        a line that cannot be answered untagged (see UNTAGGED_ERROR_SHAPES)."""
        queue = self.pending.get(tag)
        if not queue:
            return None
        chosen = queue[0]
        if error and len(queue) > 1:
            chosen = next((p for p in queue if line_shape(p.line) not in UNTAGGED_ERROR_SHAPES), chosen)
        queue.remove(chosen)
        if not queue:
            del self.pending[tag]
        return chosen

    def check_expectation(self, pending, line, text):
        """For a line with one known fault: was it answered with the code that fault calls for?"""
        if not pending.expect:
            return
        how, code = pending.expect
        got = line.positional[0] if line.word == "ERR" and line.positional else line.word
        if (how == "is" and got != code) or (how == "not" and got == code):
            self.run.findings.add("wrong-error-code", f"expected {'' if how == 'is' else 'not '}{code}, got {got}", pending.line,
                                  self.where, text)

    def check_nothing_left(self, text):
        """After QUIT's `OK bye=yes`, every request sent before it must have had its reply."""
        for queue in list(self.pending.values()):
            for pending in queue:
                self.report_unanswered(pending, ("unanswered-before-quit", "no tagged reply before QUIT's reply"))
        self.pending.clear()

    def check_hangs(self, now):
        """Reports requests without a final reply for HANG_SECONDS of an open session (reading time only)."""
        if self.eof.is_set() or self.bye:
            return
        for queue in self.pending.values():
            for pending in queue:
                waited = now - pending.sent - (self.paused_total - pending.paused_at_send)
                if not pending.reported and waited >= HANG_SECONDS:
                    self.report_unanswered(pending, ("hang", f"no final reply within {HANG_SECONDS:.0f} s"))

    def on_eof(self):
        """The connection ended: was it said goodbye to?"""
        if self.eof.is_set():
            return
        self.eof.set()
        if not (self.closed_by_us or self.bye or self.quit_acked):
            now = time.monotonic()
            self.run.findings.add("closed-without-bye", "the server closed the session without * BYE", self.last_line, self.where,
                                  context={"read ended by": self.end_reason, "session seconds": round(now - self.opened, 1),
                                           "authenticated as": self.who, "quit sent": self.quit_sent,
                                           "seconds since reading resumed": round(now - self.paused_until, 1),
                                           "outstanding": self.outstanding(), "last lines sent": list(self.recent)})

    # -- closing

    def abort(self):
        """Cuts the connection at once (no TLS close_notify)."""
        self.closed_by_us = True
        if self.writer is not None:
            self.writer.transport.abort()

    async def wait_closed(self, seconds):
        """Waits up to `seconds` for the connection to end; False if it did not."""
        try:
            await asyncio.wait_for(self.eof.wait(), seconds)
        except asyncio.TimeoutError:
            return False
        return True


# ---------------------------------------------------------------------------
# Raw sessions: plaintext, TLS cut mid-record
# ---------------------------------------------------------------------------


def plaintext_session(options, data):
    """Speaks plaintext to the TLS port; returns the first line back (must be `* BYE tls-required`)."""
    with socket.create_connection((options.host, options.port), timeout=10) as sock:
        sock.sendall(data)
        received = b""
        try:
            while b"\n" not in received and len(received) < 4096:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                received += chunk
        except (socket.timeout, ConnectionError):
            pass
        return received


def tls_cut_session(options, tls, payload, rng):
    """Completes a TLS handshake by hand, sends the records of `payload` cut, corrupted or
    followed by garbage, and closes: the server must drop the connection and carry on."""
    sock = socket.create_connection((options.host, options.port), timeout=10)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls_object = tls.wrap_bio(incoming, outgoing, server_hostname=options.host)
    try:
        while True:
            try:
                tls_object.do_handshake()
                break
            except ssl.SSLWantReadError:
                data = outgoing.read()
                if data:
                    sock.sendall(data)
                chunk = sock.recv(65536)
                if not chunk:
                    return "closed during handshake"
                incoming.write(chunk)
        data = outgoing.read()
        if data:
            sock.sendall(data)
        tls_object.write(payload)
        records = outgoing.read()
        how = rng.choice(["cut", "cut", "cut", "corrupt", "garbage"])
        if how == "cut":
            sock.sendall(records[: rng.randint(1, max(1, len(records) - 1))])
        elif how == "corrupt":
            damaged = bytearray(records)
            damaged[rng.randrange(5, len(damaged)) if len(damaged) > 5 else 0] ^= 0x55
            sock.sendall(bytes(damaged))
            time.sleep(0.05)
        else:
            sock.sendall(records + rng.randbytes(rng.randint(1, 300)))
            time.sleep(0.05)
        return how
    except (OSError, ssl.SSLError) as error:
        return f"error {type(error).__name__}"
    finally:
        sock.close()


# ---------------------------------------------------------------------------
# The probe: a well-behaved client that must always get correct answers
# ---------------------------------------------------------------------------


def expected_offsets(quote, occurrence):
    """Code point offsets of the `occurrence`-th (1-based, overlapping) occurrence of `quote` in the article."""
    found, start = [], ARTICLE.find(quote)
    while start >= 0:
        found.append(start)
        start = ARTICLE.find(quote, start + 1)
    return found[occurrence - 1], found[occurrence - 1] + len(quote), len(found)


class ProbeError(Exception):
    """A probe answer that is wrong or missing."""


class Probe:
    """Every 50 ms: PING, ADD by quote on the article, GET of it, LIST of it; checks every answer.

    It runs in a process of its own, so that the fuzzers' work in this one never
    delays it: its latencies are the server's."""

    def __init__(self, options, seed, stop):
        """A probe that runs until `stop` (a multiprocessing event) is set."""
        self.options = options
        self.tls = ssl.create_default_context(cafile=options.ca_file)
        self.started = time.monotonic()
        self.seed = seed
        self.rng = random.Random(f"{seed}:probe")
        self.stop = stop
        self.latencies = collections.defaultdict(list)
        self.rounds = 0
        self.failures = 0
        self.failure_examples = []
        self.sock = None
        self.file = None
        self.counter = 0
        self.nonce = os.urandom(3).hex()

    # -- connection

    def connect(self):
        """Connects, checks the greeting and authenticates as the analyst."""
        raw = socket.create_connection((self.options.host, self.options.port), timeout=HANG_SECONDS)
        self.sock = self.tls.wrap_socket(raw, server_hostname=self.options.host)
        self.file = self.sock.makefile("rb")
        greeting = self.read_line()
        if greeting.word != "GLOSS":
            raise ProbeError(f"greeting {print_line(greeting)[:100]}")
        _, final, _ = self.call("AUTH", f"token={self.options.token_analyst}")
        if final.word != "OK" or final.get("user") != "ana":
            raise ProbeError(f"AUTH answered {print_line(final)[:200]}")

    def close(self):
        """Drops the connection, if any."""
        for item in (self.file, self.sock):
            try:
                if item is not None:
                    item.close()
            except OSError:
                pass
        self.sock = self.file = None

    def read_line(self):
        """Reads one line; it must parse and be canonical."""
        raw = self.file.readline()
        if not raw.endswith(b"\n"):
            raise ProbeError("the connection ended")
        text = raw[:-1].decode("utf-8")
        line = parse_line(text)
        if print_line(line) != text:
            raise ProbeError(f"non-canonical line {text[:120]}")
        return line

    def call(self, verb, arguments=""):
        """Sends one request and returns (result lines, final reply, seconds)."""
        self.counter += 1
        tag = f"p.{self.counter}"
        request = f"{tag} {verb} {arguments}".rstrip() + "\n"
        started = time.perf_counter()
        self.sock.sendall(request.encode("utf-8"))
        results = []
        while True:
            line = self.read_line()
            if line.tag == tag:
                break
            if line.tag != "*" or line.word not in ("ANNOTATION", "CONFLICT"):
                raise ProbeError(f"{verb}: unexpected line {print_line(line)[:160]}")
            results.append(line)
        seconds = time.perf_counter() - started
        self.latencies[verb].append(seconds)
        return results, line, seconds

    # -- one round

    def round(self, number):
        """PING, ADD by quote, GET, LIST, each answer checked field by field."""
        _, final, _ = self.call("PING")
        expect(final.word == "OK" and not final.args, "PING", final)

        quote = self.rng.choice(PROBE_QUOTES)
        count = expected_offsets(quote, 1)[2]
        occurrence = self.rng.randint(1, count)
        start, end, _ = expected_offsets(quote, occurrence)
        label = f"probe-{self.seed}-{self.nonce}-{number}"
        note = f"probe round {number} ✓ \"quoted\""
        occurrence_text = f" occurrence={occurrence}" if count > 1 or self.rng.random() < 0.3 else ""
        _, final, _ = self.call("ADD", f"project=demo doc={ARTICLE_ID} quote={print_argument(None, quote)}{occurrence_text} "
                                       f"label={label} note={quote_value(note)} tag=probe key={label}")
        expect(final.word == "OK", "ADD", final)
        ident = final.get("id") or ""
        expect(UUID_RE.fullmatch(ident) is not None, "ADD id=", final)
        expect(final.get("start") == str(start) and final.get("end") == str(end), f"ADD start/end (want {start}..{end})", final)
        expect(final.get("quote") == quote, "ADD quote=", final)
        expect(OPS_RE.fullmatch(final.get("ops") or "") is not None, "ADD ops=", final)
        expect(sorted(final.named) == ["end", "id", "ops", "quote", "start"], "ADD fields", final)

        results, final, _ = self.call("GET", f"id={ident}")
        expect(final.word == "OK" and not final.args, "GET", final)
        expect(len(results) == 1 and results[0].word == "ANNOTATION", "GET lines", final)
        self.check_annotation(results[0], ident, quote, start, end, label, note)

        results, final, _ = self.call("LIST", f"project=demo doc={ARTICLE_ID} label={label} limit=10")
        expect(final.word == "OK" and final.get("count") == "1" and final.get("next") is None, "LIST", final)
        expect(len(results) == 1 and results[0].get("id") == ident, "LIST lines", final)
        self.check_annotation(results[0], ident, quote, start, end, label, note)

    @staticmethod
    def check_annotation(line, ident, quote, start, end, label, note):
        """Checks an annotation line field by field against what the probe added."""
        want = {
            "id": ident, "project": "demo", "doc": ARTICLE_ID, "start": str(start), "end": str(end), "quote": quote,
            "prefix": ARTICLE[max(0, start - 32):start], "suffix": ARTICLE[end:end + 32], "label": label, "note": note,
            "tags": "probe", "status": "open", "comment": "", "creator": "ana", "deleted": "live",
        }
        for key, value in want.items():
            expect(line.get(key) == value, f"ANNOTATION {key}= (want {value!r})", line)
        expect(OPS_RE.fullmatch(line.get("rev") or "") is not None and line.get("conflicts") is None, "ANNOTATION rev=", line)

    # -- the loop

    def fail(self, error):
        """Counts a failure and keeps its first examples."""
        self.failures += 1
        if len(self.failure_examples) < 20:
            self.failure_examples.append({"second": round(time.monotonic() - self.started, 1), "error": str(error)[:400]})

    def run(self):
        """Rounds every 50 ms (at once when one took longer) until told to stop; reconnects after a failure."""
        next_start = time.monotonic()
        while not self.stop.is_set():
            try:
                if self.sock is None:
                    self.connect()
                self.rounds += 1
                started = time.perf_counter()
                self.round(self.rounds)
                self.latencies["round"].append(time.perf_counter() - started)
            except (ProbeError, GrammarError, UnicodeDecodeError, OSError, ssl.SSLError, ValueError) as error:
                self.fail(f"round {self.rounds}: {type(error).__name__}: {error}")
                self.close()
                self.stop.wait(0.5)
            next_start += PROBE_INTERVAL
            delay = next_start - time.monotonic()
            if delay > 0:
                self.stop.wait(delay)
            else:
                next_start = time.monotonic()
        self.close()

    def results(self):
        """What the probe measured, to send to the fuzzing process."""
        return {"rounds": self.rounds, "failures": self.failures, "failure_examples": self.failure_examples,
                "latencies": dict(self.latencies)}


def probe_process(options, seed, stop, results):
    """The probe's process: runs until `stop` is set, then sends its results."""
    probe = Probe(options, seed, stop)
    try:
        probe.run()
    finally:
        results.send(probe.results())
        results.close()


def expect(condition, what, line):
    """Raises ProbeError with the offending line unless `condition`."""
    if not condition:
        raise ProbeError(f"{what}: got {print_line(line)[:300] if isinstance(line, Line) else line}")


# ---------------------------------------------------------------------------
# Set-up: the article
# ---------------------------------------------------------------------------


def put_article(options, tls):
    """Stores the article over the protocol (AUTH, then DOC-PUT) and checks the reply; returns max-line."""
    with socket.create_connection((options.host, options.port), timeout=30) as raw:
        with tls.wrap_socket(raw, server_hostname=options.host) as sock:
            lines = sock.makefile("rb")
            greeting = parse_line(lines.readline()[:-1].decode("utf-8"))
            max_line = int(greeting.get("max-line") or 3_145_728)
            sock.sendall(f"a1 AUTH token={options.token_analyst}\n".encode())
            sock.sendall(f"d1 DOC-PUT project=demo id={ARTICLE_ID} title={ARTICLE_TITLE} text={quote_value(ARTICLE)}\n".encode())
            replies = {}
            while len(replies) < 2:
                line = parse_line(lines.readline()[:-1].decode("utf-8"))
                replies[line.tag] = line
            auth, put = replies["a1"], replies["d1"]
            if auth.word != "OK":
                raise SystemExit(f"netfuzz: AUTH as the analyst failed: {print_line(auth)}")
            sha = hashlib.sha256(ARTICLE.encode("utf-8")).hexdigest()
            if put.word != "OK" or put.get("sha256") != sha or put.get("code-points") != str(len(ARTICLE)):
                raise SystemExit(f"netfuzz: DOC-PUT of the article answered {print_line(put)}")
            sock.sendall(b"q QUIT\n")
            return max_line


# ---------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------


class Run:
    """The whole fuzzing run: workers, probe, watchdogs, summary."""

    def __init__(self, options, seed, max_line):
        """A run against the server of `options`, seeded with `seed`."""
        self.options = options
        self.seed = seed
        self.max_line = max_line
        self.tls = ssl.create_default_context(cafile=options.ca_file)
        self.findings = Findings(seed)
        self.stats = Stats()
        self.shared = Shared(options, max_line)
        self.pools = category_pools(random.Random(seed))
        self.expectations = {}
        self.connections = set()
        self.stopping = False
        self.probe_stop = multiprocessing.Event()
        self.probe_results = {"rounds": 0, "failures": 0, "failure_examples": [], "latencies": {}}
        self.doing = {}
        self.loop_lag = []

    # -- workers

    async def worker(self, number):
        """Opens session after session until the time is up."""
        session = 0
        while not self.stopping:
            session += 1
            rng = random.Random(f"{self.seed}:{number}:{session}")
            where = f"worker {number} session {session}"
            self.doing[number] = f"{where}: starting"
            try:
                await self.session(rng, number, session, where)
            except (ConnectionError, OSError, asyncio.TimeoutError, ssl.SSLError) as error:
                if not self.stopping:
                    self.stats.sessions[f"failed: {type(error).__name__}"] += 1
                    if isinstance(error, ConnectionRefusedError):
                        self.findings.add("server-unreachable", "connection refused", where=where)
                    await asyncio.sleep(0.5)
            except Exception:  # a bug in the fuzzer itself: say so, keep fuzzing
                traceback.print_exc()
                self.stats.sessions["fuzzer error"] += 1
                await asyncio.sleep(0.5)

    async def session(self, rng, number, session, where):
        """One connection: raw (plaintext or TLS cut) or a fuzzing session."""
        roll = rng.random()
        if roll < 0.02:
            await self.plaintext(rng, where)
            return
        if roll < 0.07:
            factory = LineFactory(rng, self.shared, self.pools, f"c{number}s{session}")
            payload = without_auth(b"".join(factory.valid_line() for _ in range(rng.randint(1, 20))))
            if rng.random() < 0.5:
                payload = f"a AUTH token={self.options.token_analyst}\n".encode() + payload
            self.stats.connections += 1
            self.doing[number] = f"worker {number} session {session}: TLS cut"
            how = await asyncio.to_thread(tls_cut_session, self.options, self.tls, payload, rng)
            self.stats.sessions[f"tls {how}"] += 1
            return
        await self.fuzz_session(rng, number, session, where)

    async def plaintext(self, rng, where):
        """A plaintext client on the TLS port: it must get `* BYE tls-required`."""
        data = rng.choice([b"a1 PING\n", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"\x00\x01\x02", b"* BYE\n", rng.randbytes(100)])
        if data[:1] == b"\x16":
            data = b"x" + data
        self.stats.connections += 1
        received = await asyncio.to_thread(plaintext_session, self.options, data)
        self.stats.sessions["plaintext"] += 1
        first = received.split(b"\n")[0].rstrip(b"\r").decode("utf-8", "replace")
        try:
            line = parse_line(first)
            ok = line.tag == "*" and line.word == "BYE" and line.positional[:1] == ["tls-required"]
        except GrammarError:
            ok = False
        self.stats.replies["* BYE tls-required" if ok else "plaintext other"] += 1
        if not ok:
            self.findings.add("no-tls-required-bye", "plaintext not answered * BYE tls-required", data, where, received)

    async def fuzz_session(self, rng, number, session, where):
        """Authenticates (or not), sends a random number of actions, then ends in one of several ways."""
        connection = FuzzConnection(self, where)
        factory = LineFactory(rng, self.shared, self.pools, f"c{number}s{session}")
        connection.factory = factory
        await connection.open()
        self.connections.add(connection)
        reading = asyncio.create_task(connection.read_loop())
        try:
            who = rng.choices(["ana", "rita", "none"], [70, 15, 15])[0]
            connection.who = who
            self.stats.sessions[f"as {who}"] += 1
            if who != "none":
                token = self.options.token_analyst if who == "ana" else self.options.token_reader
                await connection.send(f"{factory.tag()} AUTH token={token}\n".encode())
            deadline = time.monotonic() + (12 if who == "none" else rng.choice([3, 10, 30]))
            for step in range(rng.randint(5, 400)):
                self.doing[number] = f"{where}: step {step}, {connection.outstanding()} outstanding"
                if self.stopping or connection.eof.is_set() or time.monotonic() > deadline:
                    break
                if not await self.action(connection, factory, rng, who):
                    break
                await self.throttle(connection, rng)
            self.doing[number] = f"{where}: finishing, {connection.outstanding()} outstanding"
            await self.finish(connection, factory, rng)
            self.doing[number] = f"{where}: finished"
        finally:
            if not connection.eof.is_set():
                connection.abort()
            try:
                await asyncio.wait_for(reading, 10)
            except asyncio.TimeoutError:
                pass
            self.connections.discard(connection)

    async def throttle(self, connection, rng):
        """Keeps at most a few hundred requests outstanding; a short pause now and then."""
        waited = 0.0
        while connection.outstanding(plain_only=True) > 300 and not connection.eof.is_set() and waited < HANG_SECONDS + 5:
            await asyncio.sleep(0.01)
            waited += 0.01
        if rng.random() < 0.3:
            await asyncio.sleep(rng.choice([0.001, 0.005, 0.02]))

    async def action(self, connection, factory, rng, who):
        """One action of a session; False when the connection is gone."""
        kinds = ["grammar", "valid", "mutated", "random", "targeted", "overlong", "burst", "pause"]
        kind = rng.choices(kinds, [34, 24, 22, 5, 4, 0.7, 6, 2])[0]
        self.stats.actions[kind] += 1
        if kind == "pause":
            connection.pause_request = rng.uniform(0.5, 5)
            return True
        if kind == "targeted":
            data, code = factory.targeted_line()
            self.expectations[data[:-1][:120]] = ("is", code)
        elif kind == "overlong":
            data, expectation = factory.overlong_line()
            self.expectations[data[:-1][:120]] = expectation
            if rng.random() < 0.1:
                await connection.send(data[: rng.randint(1, len(data) - 1)])
                connection.abort()
                return False
        elif kind == "burst":
            makers = [factory.valid_line, factory.grammar_line, factory.mutated_line]
            data = b"".join(rng.choice(makers)() for _ in range(rng.randint(20, 300)))
        else:
            data = {"grammar": factory.grammar_line, "valid": factory.valid_line, "mutated": factory.mutated_line,
                    "random": factory.random_bytes}[kind]()
        if who == "none":
            data = self.within_auth_budget(data)
        return await connection.send(data) if data else True

    def within_auth_budget(self, data):
        """On an unauthenticated session a failing AUTH counts towards the server's throttle
        (which would then refuse the probe too): AUTH lines go out only within the budget."""
        lines = data.split(b"\n")
        kept = [raw for raw in lines[:-1] if not AUTH_RE.match(raw) or self.shared.may_fail_auth()]
        return b"".join(raw + b"\n" for raw in kept) + lines[-1]

    async def finish(self, connection, factory, rng):
        """Ends a session: QUIT, wait for replies then cut, cut now, or cut mid-line."""
        if connection.eof.is_set() or connection.closed_by_us:
            return
        if connection.partial:
            await connection.send(b"\n")
        how = rng.choices(["quit", "drain", "abort", "mid-line"], [55, 15, 15, 15])[0]
        self.stats.sessions[f"end {how}"] += 1
        if how == "quit":
            await connection.send(f"{factory.tag_prefix}.q QUIT\n".encode())
            if not await connection.wait_closed(HANG_SECONDS + 10):
                self.findings.add("hang", "the session did not close within 40 s of QUIT", b"QUIT", connection.where)
            return
        if how == "drain":
            waited = 0.0
            while connection.outstanding(plain_only=True) and not connection.eof.is_set() and waited < HANG_SECONDS + 5:
                await asyncio.sleep(0.05)
                waited += 0.05
            connection.settle()
        elif how == "mid-line":
            line = rng.choice([factory.valid_line, factory.grammar_line])()
            await connection.send(line[: rng.randint(1, max(1, len(line) - 1))])
        connection.abort()

    # -- watchdogs

    async def watch(self):
        """Every half second: hangs, the server process, its memory."""
        try:
            await self.watch_forever()
        except asyncio.CancelledError:
            raise
        except Exception:
            traceback.print_exc()
            raise

    async def watch_forever(self):
        """The watchdog's loop."""
        while True:
            await asyncio.sleep(0.5)
            now = time.monotonic()
            for connection in list(self.connections):
                connection.check_hangs(now)
            if self.options.server_pid:
                if not process_alive(self.options.server_pid):
                    self.findings.add("server-died", f"glossd (pid {self.options.server_pid}) is gone", where="watchdog")
                    self.stopping = True
                    return
                self.stats.max_rss_kib = max(self.stats.max_rss_kib, rss_kib(self.options.server_pid))

    async def main(self):
        """Runs workers and the probe for --seconds, then lets replies settle and reports."""
        self.started = time.monotonic()
        receiver, sender = multiprocessing.Pipe(duplex=False)
        probe = multiprocessing.get_context("fork").Process(
            target=probe_process, args=(self.options, self.seed, self.probe_stop, sender), name="netfuzz-probe", daemon=True)
        probe.start()
        sender.close()
        watchdog = asyncio.create_task(self.watch())
        lag = asyncio.create_task(self.measure_lag())
        workers = [asyncio.create_task(self.worker(n)) for n in range(1, self.options.connections + 1)]
        deadline = self.started + self.options.seconds
        while time.monotonic() < deadline and not self.stopping:
            await asyncio.sleep(0.5)
        self.stopping = True
        self.probe_stop.set()
        self.stopped = time.monotonic()
        self.say(f"time is up; waiting for {len(self.connections)} sessions to end")
        for _ in range(12 if workers else 0):
            done, late = await asyncio.wait(workers, timeout=5)
            if not late:
                break
            self.say("still: " + "; ".join(self.doing[n] for n in range(1, self.options.connections + 1)))
            for connection in self.connections:
                self.say(f"  {connection.where}: {connection.state()}")
        self.say("sessions ended")
        for number, task in enumerate(workers, 1):
            if not task.done():
                print(f"netfuzz: worker {number} still busy at the end: {self.doing.get(number)}", file=sys.stderr)
            task.cancel()
        watchdog.cancel()
        lag.cancel()
        if await asyncio.to_thread(receiver.poll, 30):
            self.probe_results = receiver.recv()
        await asyncio.to_thread(probe.join, 5)
        self.say("probe ended")
        self.elapsed = time.monotonic() - self.started

    def say(self, text):
        """A progress message on standard error."""
        print(f"netfuzz: [{time.monotonic() - self.started:6.1f} s] {text}", file=sys.stderr, flush=True)

    async def measure_lag(self):
        """How late this process's event loop wakes up (CPU spent making lines delays everything here)."""
        while True:
            before = time.monotonic()
            await asyncio.sleep(0.1)
            self.loop_lag.append(time.monotonic() - before - 0.1)

    # -- report

    def summary(self):
        """The figures and findings of the run, as a dict."""
        probe = self.probe_results
        probe_all = sorted(value for verb, values in probe["latencies"].items() if verb != "round" for value in values)
        per_verb = {verb: latency_figures(values) for verb, values in sorted(probe["latencies"].items())}
        return {
            "seed": self.seed,
            "seconds": round(self.stopped - self.started, 1),
            "seconds_with_wind_down": round(self.elapsed, 1),
            "fuzzer_loop_lag_ms": latency_figures(self.loop_lag),
            "connections": self.options.connections,
            "lines_sent": self.stats.lines_sent,
            "bytes_sent": self.stats.bytes_sent,
            "connections_opened": self.stats.connections,
            "sessions": dict(self.stats.sessions),
            "actions": dict(self.stats.actions),
            "reply_lines": self.stats.reply_lines,
            "replies_by_code": dict(self.stats.replies.most_common()),
            "unmatched_tagged_replies": self.stats.unmatched_replies,
            "unattributable_unanswered": self.stats.unattributable,
            "server_max_rss_mib": round(self.stats.max_rss_kib / 1024, 1),
            "findings_total": self.findings.total(),
            "findings": self.findings.as_list(),
            "probe": {
                "rounds": probe["rounds"],
                "failures": probe["failures"],
                "failure_examples": probe["failure_examples"],
                "requests": latency_figures(probe_all),
                "by_verb": per_verb,
            },
        }


def latency_figures(values):
    """p50, p99 and max of durations in seconds, in milliseconds."""
    ordered = sorted(values)
    return {
        "count": len(ordered),
        "p50_ms": round(percentile(ordered, 0.50) * 1000, 2),
        "p99_ms": round(percentile(ordered, 0.99) * 1000, 2),
        "max_ms": round((ordered[-1] if ordered else 0) * 1000, 2),
    }


def process_alive(pid):
    """Whether process `pid` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def rss_kib(pid):
    """Resident memory of `pid` in KiB (0 when unknown)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def print_summary(report):
    """The human summary on standard output."""
    probe = report["probe"]
    print()
    print("netfuzz summary")
    print(f"  seed                 {report['seed']}  (replay: --seed {report['seed']})")
    print(f"  seconds              {report['seconds']}  ({report['seconds_with_wind_down']} with the wind-down)")
    print(f"  lines sent           {report['lines_sent']}  ({report['bytes_sent'] / 1e6:.1f} MB)")
    print(f"  connections opened   {report['connections_opened']}  ({report['connections']} fuzzing at a time, plus the probe)")
    print(f"  glossd max RSS       {report['server_max_rss_mib']} MiB")
    lag = report["fuzzer_loop_lag_ms"]
    print(f"  fuzzer loop lag      p50 {lag['p50_ms']} ms  p99 {lag['p99_ms']} ms  max {lag['max_ms']} ms")
    print("  replies by code:")
    for code, count in report["replies_by_code"].items():
        print(f"    {count:>9}  {code}")
    print(f"  tagged replies to no request sent: {report['unmatched_tagged_replies']}; unanswered requests not judged "
          f"(their tag was shared): {report['unattributable_unanswered']}")
    print(f"  findings             {report['findings_total']}")
    for group in report["findings"]:
        print(f"    [{group['kind']}] {group['detail']}  (x{group['count']})")
        for example in group["examples"][:1]:
            print(f"        line:  {example['line']}")
            if example["reply"]:
                print(f"        reply: {example['reply']}")
            print(f"        where: {example['where']}, second {example['second']}, seed {example['seed']}")
            for key, value in example.get("context", {}).items():
                if key != "last lines sent":
                    print(f"        {key}: {value}")
    print(f"  probe rounds         {probe['rounds']}")
    print(f"  probe failures       {probe['failures']}")
    for example in probe["failure_examples"][:5]:
        print(f"    second {example['second']}: {example['error']}")
    requests = probe["requests"]
    print(f"  probe latency        p50 {requests['p50_ms']} ms  p99 {requests['p99_ms']} ms  max {requests['max_ms']} ms"
          f"  ({requests['count']} requests)")
    for verb, figures in probe["by_verb"].items():
        print(f"    {verb:<6} p50 {figures['p50_ms']} ms  p99 {figures['p99_ms']} ms  max {figures['max_ms']} ms")


def parse_options(argv):
    """The command line."""
    parser = argparse.ArgumentParser(description="Fuzz a live glossd over TLS while a probe client checks it keeps working.")
    parser.add_argument("--host", default="127.0.0.1", help="glossd's address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, required=True, help="glossd's port")
    parser.add_argument("--ca-file", required=True, help="the CA certificate that signed glossd's (glossd dev: FOLDER/tls/ca.pem)")
    parser.add_argument("--token-analyst", required=True, help="a token of an analyst of project demo (ana)")
    parser.add_argument("--token-reader", required=True, help="a token of a reader of project demo (rita)")
    parser.add_argument("--seconds", type=float, default=60, help="how long to fuzz (default 60)")
    parser.add_argument("--connections", type=int, default=4, help="fuzzing connections at a time (default 4; 0: the probe alone)")
    parser.add_argument("--seed", type=int, default=None, help="seed of every random choice (default: random, printed)")
    parser.add_argument("--report", help="write the full report to this JSON file")
    parser.add_argument("--server-pid", type=int, help="glossd's process id, to notice it dying and follow its memory")
    return parser.parse_args(argv)


def main(argv=None):
    """Stores the article, fuzzes, prints the summary; 1 on any finding or probe failure."""
    options = parse_options(argv)
    seed = options.seed if options.seed is not None else random.SystemRandom().randrange(2**32)
    print(f"netfuzz: seed={seed} seconds={options.seconds:g} connections={options.connections} "
          f"server={options.host}:{options.port}", flush=True)
    sys.setswitchinterval(0.001)
    tls = ssl.create_default_context(cafile=options.ca_file)
    max_line = put_article(options, tls)
    print(f"netfuzz: article stored ({len(ARTICLE)} code points); max-line={max_line}", flush=True)
    run = Run(options, seed, max_line)
    asyncio.run(run.main())
    report = run.summary()
    print_summary(report)
    if options.report:
        with open(options.report, "w", encoding="utf-8") as out:
            json.dump(report, out, indent=2, ensure_ascii=False)
        print(f"  report               {options.report}")
    failed = report["findings_total"] or report["probe"]["failures"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
