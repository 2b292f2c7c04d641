"""Anchors: signed checkpoints of every hash chain, kept outside the database.

The hash chains have no secret: someone who can write to the database can rewrite an old event and
recompute every hash after it, and ``verify`` would find nothing. An anchor fixes the heads of all
chains (each case's last event number and hash, and the access log's) at one moment, signed with an
Ed25519 key that is *not* stored in the database, and appended as one JSON line to an append-only file
(``instance/anchors.jsonl`` unless configured). Each line also carries the hash of the line before it.

``check`` compares the database with every anchor in the file: an anchored event that now has
another hash, or that is gone, is a rewrite; the anchors before and after it locate it to a range of
events. Key handling and rotation: ``docs/audit.md``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import RegieError
from .chain import canonical_json

FORMAT = 1


class AnchorError(RegieError):
    """A key or anchor file that cannot be used; the message says what to do."""


@dataclass(frozen=True)
class Anchor:
    """One signed checkpoint (one line of the anchor file)."""

    at: str
    key_id: str
    heads: dict[str, list]          # case id -> [last seq, last hash]
    access: list                    # [last seq, last hash] of the access log, or []
    prev: str                       # sha256 of the previous line ('' for the first)
    signature: str
    line: str = ""

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.line.encode("utf-8")).hexdigest()

    def signed_part(self) -> dict[str, Any]:
        return {"format": FORMAT, "at": self.at, "key_id": self.key_id, "heads": self.heads, "access": self.access,
                "prev": self.prev}


# --- keys ----------------------------------------------------------------------------------------

def generate_key(path: str | Path) -> str:
    """Write a new Ed25519 private key (PEM, readable by the owner only); returns its public key id."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path = Path(path)
    if path.exists():
        raise AnchorError(f"Het sleutelbestand {path} bestaat al. Kies een andere naam; een sleutel wordt nooit "
                          "overschreven.")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    return key_id(key.public_key())


def load_private(path: str | Path):
    from cryptography.hazmat.primitives import serialization

    try:
        return serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except FileNotFoundError as err:
        raise AnchorError(f"Het sleutelbestand {path} bestaat niet. Maak een sleutel met 'regie audit sleutel' "
                          "of geef het juiste pad met --sleutel of REGIE_ANCHOR_KEY.") from err
    except (ValueError, TypeError) as err:
        raise AnchorError(f"{path} is geen bruikbare Ed25519-sleutel (PEM).") from err


def public_key_text(key) -> str:
    """The public key as base64 of its 32 raw bytes (what an outside auditor is given)."""
    from cryptography.hazmat.primitives import serialization

    return base64.b64encode(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode()


def key_id(public_key) -> str:
    return hashlib.sha256(base64.b64decode(public_key_text(public_key))).hexdigest()[:16]


def load_public(text: str):
    """A public key from its base64 text, or from a file holding it, or from a private key file."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    candidate = Path(text)
    if candidate.exists():
        raw = candidate.read_text().strip()
        if "PRIVATE KEY" in raw:
            return load_private(candidate).public_key()
        text = raw
    try:
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(text))
    except (ValueError, TypeError) as err:
        raise AnchorError("De publieke sleutel is niet te lezen: geef de base64-tekst van 32 bytes of een bestand "
                          "met die tekst.") from err


# --- writing and reading -------------------------------------------------------------------------

def write(store, path: str | Path, private_key, now: datetime) -> Anchor:
    """Sign the heads of every chain now and append them to ``path``; returns the anchor."""
    from ..store.audit import chain_heads

    with store.read() as tx:
        heads, access = chain_heads(tx)
    previous = read(path)
    body = {"format": FORMAT, "at": now.isoformat(), "key_id": key_id(private_key.public_key()),
            "heads": heads, "access": access, "prev": previous[-1].digest if previous else ""}
    signature = base64.b64encode(private_key.sign(canonical_json(body).encode("utf-8"))).decode()
    line = canonical_json({**body, "signature": signature})
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as out:    # append only: earlier lines are never rewritten
        out.write(line + "\n")
        out.flush()
        os.fsync(out.fileno())
    return _anchor(json.loads(line), line)


def read(path: str | Path) -> list[Anchor]:
    """Every anchor in the file, oldest first ([] when there is no file)."""
    path = Path(path)
    if not path.exists():
        return []
    anchors = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            anchors.append(_anchor(json.loads(line), line))
        except (ValueError, KeyError) as err:
            raise AnchorError(f"Regel {number} van {path} is geen anker; het bestand is beschadigd of gewijzigd.") from err
    return anchors


def _anchor(data: dict, line: str) -> Anchor:
    return Anchor(data["at"], data["key_id"], data["heads"], data.get("access") or [], data.get("prev", ""),
                  data["signature"], line)


# --- checking ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AnchorProblem:
    case_id: str            # '-' for the access log or the file itself
    seq: int | None
    message: str

    def __str__(self) -> str:
        where = "anker" if self.case_id == "-" else f"zaak {self.case_id}"
        return f"{where}{f', event {self.seq}' if self.seq else ''}: {self.message}"


def check_file(anchors: list[Anchor], public_key) -> list[AnchorProblem]:
    """The file itself: every signature valid for ``public_key``, every line chained to the one before."""
    from cryptography.exceptions import InvalidSignature

    problems = []
    expected_id = key_id(public_key)
    previous = ""
    for number, anchor in enumerate(anchors, start=1):
        if anchor.prev != previous:
            problems.append(AnchorProblem("-", None, f"anker {number} ({anchor.at}) sluit niet aan op het anker ervoor: "
                                                     "er is een anker weggehaald of tussengevoegd"))
        if anchor.key_id != expected_id:
            problems.append(AnchorProblem("-", None, f"anker {number} ({anchor.at}) is getekend met een andere sleutel "
                                                     f"({anchor.key_id}, verwacht {expected_id})"))
        else:
            try:
                public_key.verify(base64.b64decode(anchor.signature), canonical_json(anchor.signed_part()).encode())
            except (InvalidSignature, ValueError):
                problems.append(AnchorProblem("-", None, f"de handtekening van anker {number} ({anchor.at}) klopt niet"))
        previous = anchor.digest
    return problems


def check_heads(anchors: list[Anchor], hash_at, access_hash_at) -> list[AnchorProblem]:
    """Compare the stored chains with every anchor. ``hash_at(case_id, seq)`` gives the stored hash of
    that event (None when it is gone); ``access_hash_at(seq)`` the same for the access log.

    A rewrite is located between the newest anchor whose head still matches and the oldest that no
    longer does."""
    problems = []
    cases = sorted({c for a in anchors for c in a.heads})
    for case_id in cases:
        good, bad = None, None
        for anchor in anchors:
            head = anchor.heads.get(case_id)
            if head is None:
                continue
            stored = hash_at(case_id, head[0])
            if stored == head[1]:
                if bad is None:
                    good = (anchor, head)
            elif bad is None:
                bad = (anchor, head, stored)
        if bad is None:
            continue
        anchor, head, stored = bad
        since = f"na event {good[1][0]} (nog gelijk aan het anker van {good[0].at})" if good else "vanaf event 1"
        if stored is None:
            problems.append(AnchorProblem(case_id, head[0], f"dit event staat in het anker van {anchor.at}, maar is weg: "
                                                            "events zijn verwijderd"))
        else:
            problems.append(AnchorProblem(case_id, head[0], (
                f"de hash wijkt af van het anker van {anchor.at}: de geschiedenis is herschreven, {since} en "
                f"uiterlijk bij event {head[0]}")))
    for anchor in anchors:
        if anchor.access and access_hash_at(anchor.access[0]) != anchor.access[1]:
            problems.append(AnchorProblem("-", None, f"regel {anchor.access[0]} van het inzagelog wijkt af van het anker "
                                                     f"van {anchor.at}: het inzagelog is gewijzigd of ingekort"))
            break
    return problems


def check_store(store, anchors: list[Anchor], public_key, case_id: str | None = None) -> list[AnchorProblem]:
    """``check_file`` and ``check_heads`` against the database (one case, or all)."""
    from ..store.audit import access_hashes, event_hashes

    problems = check_file(anchors, public_key)
    if case_id is not None:
        anchors = [Anchor(a.at, a.key_id, {case_id: a.heads[case_id]} if case_id in a.heads else {}, [], a.prev,
                          a.signature, a.line) for a in anchors]
    pairs = [(c, head[0]) for a in anchors for c, head in a.heads.items()]
    with store.read() as tx:
        hashes = event_hashes(tx, pairs)
        access = access_hashes(tx, [a.access[0] for a in anchors if a.access])
    return problems + check_heads(anchors, lambda c, s: hashes.get((c, s)), access.get)
