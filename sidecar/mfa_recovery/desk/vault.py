"""The desk's documents at rest: one file per document, encrypted with AES-256-GCM.

- **Where**: ``<MFA_RECOVERY_DATA_DIR>/desk/`` (directory 0700, files 0600), each file under a random name (32 hex
  digits, ``.bin``) that the document's row records: nothing of what the requester sent (a file name, a kind, an
  account) shows in the file system. The database holds only that name, never the content.
- **Key**: derived with HKDF-SHA256 from ``MFA_RECOVERY_DESK_KEY`` (:data:`HKDF_INFO` names the purpose and the
  version), a secret of its own, apart from the pepper and the audit key, so whoever reads the store and its
  backups, or the directory, reads no document.
- **File**: :data:`MAGIC`, a random 96-bit nonce, then the ciphertext with its 128-bit tag. The associated data binds
  the file to its case, its document id and its kind: a file copied over another case's, or swapped between two
  documents, does not decrypt.
- :class:`VaultFiles` is the directory alone (write, read, list, delete), which the purge uses without the key;
  :class:`DocumentVault` seals and opens documents in it.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .intake import DocumentKind

MAGIC = b"MFRDESK1"  # the file format's version
NONCE_BYTES = 12
HKDF_INFO = b"mfa-recovery desk documents AES-256-GCM v1"
AAD_PREFIX = "mfa-recovery desk document v1"
FILE_SUFFIX = ".bin"
_FILE_NAME = re.compile(r"[0-9a-f]{32}\.bin\Z")
DIRECTORY_MODE = 0o700
FILE_MODE = 0o600


class DocumentUnreadable(Exception):
    """The file is missing, damaged, sealed with another key, or belongs to another document."""


def is_file_name(name: str) -> bool:
    """Whether ``name`` is a name the vault gives (so it stays inside the vault's directory)."""
    return _FILE_NAME.match(name) is not None


@dataclass(frozen=True)
class VaultFile:
    name: str
    modified_at: datetime


class VaultFiles:
    """The vault's directory: files under random names, created 0600 in a 0700 directory made when first needed."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, name: str) -> Path:
        if not is_file_name(name):
            raise ValueError(f"not a vault file name: {name!r}")
        return self.directory / name

    def _ensure_directory(self) -> None:
        self.directory.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
        if self.directory.stat().st_mode & 0o777 != DIRECTORY_MODE:
            self.directory.chmod(DIRECTORY_MODE)  # made earlier, or by someone with another umask

    def write_new(self, data: bytes) -> str:
        """Write ``data`` to a new file (never over one) and return its name; flushed to disk before it returns."""
        self._ensure_directory()
        name = secrets.token_hex(16) + FILE_SUFFIX
        path = self._path(name)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), FILE_MODE)
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        _sync_directory(self.directory)
        return name

    def read(self, name: str) -> bytes:
        return self._path(name).read_bytes()

    def delete(self, name: str) -> bool:
        """Remove the file; False when it was not there (deleting twice is no error)."""
        try:
            self._path(name).unlink()
        except FileNotFoundError:
            return False
        return True

    def entries(self) -> list[VaultFile]:
        """The vault's files (other names in the directory are left alone), with when they were last written."""
        if not self.directory.is_dir():
            return []
        found: list[VaultFile] = []
        with os.scandir(self.directory) as entries:
            for entry in entries:
                if is_file_name(entry.name) and entry.is_file(follow_symlinks=False):
                    modified = datetime.fromtimestamp(entry.stat(follow_symlinks=False).st_mtime, UTC)
                    found.append(VaultFile(entry.name, modified))
        return sorted(found, key=lambda file: file.name)


def _sync_directory(directory: Path) -> None:
    """Make the new file's name durable too."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def derive_key(secret: str) -> bytes:
    """The AES-256 key of the vault, from ``MFA_RECOVERY_DESK_KEY``."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(secret.encode("utf-8"))


def associated_data(case_id: str, document_id: str, kind: DocumentKind) -> bytes:
    """What a sealed document is bound to: its case, its id and its kind (JSON, so no two lists read alike)."""
    return json.dumps([AAD_PREFIX, case_id, document_id, kind.value]).encode("utf-8")


class DocumentVault:
    """Documents sealed with AES-256-GCM in :class:`VaultFiles`."""

    def __init__(self, files: VaultFiles, secret: str) -> None:
        """``secret``: ``MFA_RECOVERY_DESK_KEY`` (the AES key is derived from it)."""
        self.files = files
        self._aead = AESGCM(derive_key(secret))

    def seal(self, case_id: str, document_id: str, kind: DocumentKind, content: bytes) -> str:
        """Encrypt ``content`` into a new file; returns the file's name."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, content, MAGIC + associated_data(case_id, document_id, kind))
        return self.files.write_new(MAGIC + nonce + sealed)

    def open(self, case_id: str, document_id: str, kind: DocumentKind, file_name: str) -> bytes:
        """The document's content; :class:`DocumentUnreadable` unless the file is this very document's, intact and
        sealed with this key."""
        try:
            data = self.files.read(file_name)
        except (OSError, ValueError) as exc:
            raise DocumentUnreadable(f"cannot read {file_name!r}: {exc}") from exc
        if not data.startswith(MAGIC) or len(data) < len(MAGIC) + NONCE_BYTES + 16:
            raise DocumentUnreadable(f"{file_name!r} is not a sealed document")
        nonce = data[len(MAGIC) : len(MAGIC) + NONCE_BYTES]
        try:
            return self._aead.decrypt(
                nonce, data[len(MAGIC) + NONCE_BYTES :], MAGIC + associated_data(case_id, document_id, kind)
            )
        except InvalidTag:
            raise DocumentUnreadable(
                f"{file_name!r} does not open: changed, another document's, or sealed with another key"
            ) from None

    def delete(self, file_name: str) -> bool:
        return self.files.delete(file_name)
