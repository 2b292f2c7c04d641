"""Per-case keys and the sealing of personal values in event payloads (crypto-shredding).

Every case gets its own random 256-bit key when its first event with personal values is written. The
personal parts of an event payload (``SEALED``: form data, the values a gateway read, message variables, a correction and
its reason, an incident's reason) are encrypted with AES-GCM under that key and stored as one
``"sealed"`` text; the rest of the payload (event type, task id, element, version, the gateway's
result) stays readable. The hash chain hashes the stored text, ciphertext included, so deleting the
key later (retention) changes nothing the chain covers: verify still passes, and the personal values
are gone for good because nobody can decrypt them any more.

Case keys are stored in the database (``case_keys``) only *wrapped*: encrypted with a master key that
is not in the database. Master keys come from ``REGIE_MASTER_KEYS`` (``id:base64key,id2:base64key``;
the first one wraps new keys, the others still unwrap) or else from the file
``REGIE_MASTER_KEY_FILE`` (default ``instance/master.key``, made on first use, mode 0600, one
``id:base64key`` per line, the first one current). Rotation: put a new key first, keep the old ones,
run ``regie privacy rotate-keys`` (rewraps every case key under the current master key), then drop the
old ones. See docs/retention.md.
"""

from __future__ import annotations

import base64
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..audit import canonical_json
from ..errors import PrivacyError

SEALED = ("data", "values", "variables", "correction", "reason")     # payload keys that hold personal values
SEAL_KEY = "sealed"
VERSION = "v1:"
DEFAULT_KEY_FILE = "instance/master.key"


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


@dataclass(frozen=True)
class MasterKeys:
    """The master keys that wrap case keys; ``current`` wraps new ones."""

    keys: dict[str, bytes]
    current: str

    @classmethod
    def parse(cls, text: str, where: str) -> MasterKeys:
        keys: dict[str, bytes] = {}
        order = []
        for part in text.replace("\n", ",").split(","):
            part = part.strip()
            if not part or part.startswith("#"):
                continue
            key_id, _, value = part.partition(":")
            try:
                raw = _unb64(value.strip())
            except ValueError:
                raw = b""
            if not key_id.strip() or len(raw) != 32:
                raise PrivacyError(f"De hoofdsleutel '{key_id.strip() or part[:8]}' in {where} is ongeldig. Geef "
                                   "'naam:sleutel' met een sleutel van 32 bytes in base64 (maak er een met "
                                   "'regie privacy new-master-key').")
            keys[key_id.strip()] = raw
            order.append(key_id.strip())
        if not keys:
            raise PrivacyError(f"Er staat geen hoofdsleutel in {where}. Zet er een in, bijvoorbeeld met "
                               "'regie privacy new-master-key'.")
        return cls(keys, order[0])

    @classmethod
    def from_env(cls) -> MasterKeys:
        """``REGIE_MASTER_KEYS``, else the key file (made with a fresh key when it does not exist)."""
        text = os.environ.get("REGIE_MASTER_KEYS")
        if text:
            return cls.parse(text, "REGIE_MASTER_KEYS")
        path = Path(os.environ.get("REGIE_MASTER_KEY_FILE") or DEFAULT_KEY_FILE)
        if not path.exists():
            _make_key_file(path)
        return cls.parse(path.read_text(encoding="utf-8"), str(path))

    def wrap(self, case_id: str, case_key: bytes) -> tuple[str, str]:
        nonce = secrets.token_bytes(12)
        sealed = AESGCM(self.keys[self.current]).encrypt(nonce, case_key, _aad("case-key", case_id))
        return self.current, _b64(nonce + sealed)

    def unwrap(self, case_id: str, key_id: str, wrapped: str) -> bytes:
        return self._decrypt(key_id, _unb64(wrapped), _aad("case-key", case_id), f"De sleutel van zaak {case_id}")

    def _decrypt(self, key_id: str, raw: bytes, aad: bytes, what: str) -> bytes:
        """Open ``raw`` (nonce + AES-GCM) sealed with master key ``key_id``; ``what`` names it in the message."""
        master = self.keys.get(key_id)
        if master is None:
            raise PrivacyError(f"{what} is versleuteld met hoofdsleutel '{key_id}', maar die staat niet in "
                               "REGIE_MASTER_KEYS of het sleutelbestand. Zet de oude hoofdsleutel terug (achter de "
                               "nieuwe) en draai 'regie privacy rotate-keys'.")
        try:
            return AESGCM(master).decrypt(raw[:12], raw[12:], aad)
        except InvalidTag as err:
            raise PrivacyError(f"{what} past niet bij hoofdsleutel '{key_id}': het is gewijzigd of hoort bij iets "
                               "anders. Controleer REGIE_MASTER_KEYS.") from err

    def seal_secret(self, kind: str, ref: str, secret: str) -> str:
        """A secret the engine must use again later (a webhook's signing key) as stored: encrypted with the
        current master key, bound to ``kind`` and ``ref``, so the database alone does not reveal it."""
        nonce = secrets.token_bytes(12)
        sealed = AESGCM(self.keys[self.current]).encrypt(nonce, secret.encode("utf-8"), _aad(kind, ref))
        return f"{SECRET_PREFIX}{self.current}:{_b64(nonce + sealed)}"

    def open_secret(self, kind: str, ref: str, stored: str) -> str:
        """The secret of ``seal_secret``'s text (a text stored before sealing existed is returned as it is)."""
        if not is_sealed_secret(stored):
            return stored
        key_id, _, body = stored[len(SECRET_PREFIX):].partition(":")
        return self._decrypt(key_id, _unb64(body), _aad(kind, ref), f"Het geheim van {ref}").decode("utf-8")

    def key_of_secret(self, stored: str) -> str | None:
        """Which master key sealed ``stored`` (None: stored before sealing existed)."""
        return stored[len(SECRET_PREFIX):].partition(":")[0] if is_sealed_secret(stored) else None


SECRET_PREFIX = "mk1:"


def is_sealed_secret(stored: str) -> bool:
    return stored.startswith(SECRET_PREFIX)


def _make_key_file(path: Path) -> None:
    """Write a fresh master key to ``path`` (mode 0600) unless another process got there first: the key is
    written to a file of this process and linked into place, so a reader never sees a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    own = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(own, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(new_master_key("k1") + "\n")
    try:
        os.link(own, path)
    except FileExistsError:
        pass                 # another process made it: use theirs
    finally:
        own.unlink()


def new_master_key(key_id: str) -> str:
    return f"{key_id}:{_b64(secrets.token_bytes(32))}"


def new_case_key() -> bytes:
    """A fresh random case key (a secret, so from the OS's random source, not from an id provider)."""
    return AESGCM.generate_key(bit_length=256)


def _aad(kind: str, case_id: str, seq: int | None = None) -> bytes:
    return f"regie:{kind}:{case_id}:{'' if seq is None else seq}".encode()


def needs_seal(payload: dict[str, Any]) -> bool:
    return any(payload.get(k) not in (None, "", {}, []) for k in SEALED)


def seal(payload: dict[str, Any], case_key: bytes, case_id: str, seq: int) -> dict[str, Any]:
    """The payload with its personal parts encrypted into ``"sealed"`` (bound to case and sequence number)."""
    secret = {k: payload[k] for k in SEALED if payload.get(k) not in (None, "", {}, [])}
    if not secret:
        return payload
    kept = {k: v for k, v in payload.items() if k not in secret}
    nonce = secrets.token_bytes(12)
    cipher = AESGCM(case_key).encrypt(nonce, canonical_json(secret).encode("utf-8"), _aad("event", case_id, seq))
    kept[SEAL_KEY] = VERSION + _b64(nonce + cipher)
    return kept


def unseal(payload: dict[str, Any], case_key: bytes, case_id: str, seq: int) -> dict[str, Any]:
    """The original payload of a sealed one."""
    import json

    text = payload[SEAL_KEY]
    raw = _unb64(text[len(VERSION):])
    try:
        plain = AESGCM(case_key).decrypt(raw[:12], raw[12:], _aad("event", case_id, seq))
    except InvalidTag as err:
        raise PrivacyError(f"Event {seq} van zaak {case_id} is niet te ontsleutelen: de versleutelde tekst is "
                           "gewijzigd of hoort bij een andere zaak. Draai 'regie verify'.") from err
    opened = {k: v for k, v in payload.items() if k != SEAL_KEY}
    opened.update(json.loads(plain))
    return opened


def is_sealed_text(stored: str) -> bool:
    return f'"{SEAL_KEY}":"{VERSION}' in stored


def seal_text(value: str, case_key: bytes, case_id: str, kind: str) -> str:
    nonce = secrets.token_bytes(12)
    return VERSION + _b64(nonce + AESGCM(case_key).encrypt(nonce, value.encode("utf-8"), _aad(kind, case_id)))


def unseal_text(text: str, case_key: bytes, case_id: str, kind: str) -> str:
    raw = _unb64(text[len(VERSION):])
    return AESGCM(case_key).decrypt(raw[:12], raw[12:], _aad(kind, case_id)).decode("utf-8")


def rotate(engine) -> int:
    """Rewrap every case key and seal every stored webhook secret under the current master key, in batches;
    returns how many case keys were rewrapped."""
    from ..store.outbox import reseal_secrets
    from ..store.retention import rewrap_keys

    with engine.store.write() as tx:
        reseal_secrets(tx)
    total = 0
    while True:
        with engine.store.write() as tx:
            done = rewrap_keys(tx)
        total += done
        if done == 0:
            return total
