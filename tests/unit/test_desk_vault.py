"""The desk's documents at rest: sealed files that only open for their own case, document and kind, under this key;
and the key's settings."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from mfa_recovery.config import (
    DEVELOPMENT_AUDIT_KEY,
    DEVELOPMENT_CODE_PEPPER,
    DEVELOPMENT_DESK_KEY,
    ConfigError,
    Settings,
)
from mfa_recovery.desk.intake import DocumentKind
from mfa_recovery.desk.vault import MAGIC, DocumentUnreadable, DocumentVault, VaultFiles, is_file_name

from .support import ANSWER_KEY_PEM, DEV_ENV

KEY = "unit-test-desk-key-0123456789abcdef0123"
OTHER_KEY = "unit-test-desk-key-other-0123456789abcd"
CASE = "c0000000000000000000000000000001"
OTHER_CASE = "c0000000000000000000000000000002"
DOC = "d0000000000000000000000000000001"
OTHER_DOC = "d0000000000000000000000000000002"
KIND = DocumentKind.ID_DOCUMENT
SECRET = b"Jansen, Jan -- passport SPECI2014 -- a document nobody else may read" * 20


@pytest.fixture
def desk_dir(tmp_path: Path) -> Path:
    return tmp_path / "data" / "desk"


@pytest.fixture
def vault(desk_dir: Path) -> DocumentVault:
    return DocumentVault(VaultFiles(desk_dir), KEY)


# --- attacks on the files ------------------------------------------------------------------------------------------


def test_the_file_on_disk_holds_no_plaintext(vault: DocumentVault, desk_dir: Path) -> None:
    name = vault.seal(CASE, DOC, KIND, SECRET)
    data = (desk_dir / name).read_bytes()
    assert data.startswith(MAGIC)
    for piece in (SECRET[:16], b"Jansen", b"SPECI2014", CASE.encode(), DOC.encode(), KIND.value.encode()):
        assert piece not in data
    assert vault.open(CASE, DOC, KIND, name) == SECRET


def test_another_key_does_not_open_it(vault: DocumentVault, desk_dir: Path) -> None:
    name = vault.seal(CASE, DOC, KIND, SECRET)
    with pytest.raises(DocumentUnreadable):
        DocumentVault(VaultFiles(desk_dir), OTHER_KEY).open(CASE, DOC, KIND, name)


@pytest.mark.parametrize("where", [0, len(MAGIC), len(MAGIC) + 12, -1, -17])
def test_a_changed_byte_anywhere_is_caught(vault: DocumentVault, desk_dir: Path, where: int) -> None:
    name = vault.seal(CASE, DOC, KIND, SECRET)
    path = desk_dir / name
    data = bytearray(path.read_bytes())
    data[where] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(DocumentUnreadable):
        vault.open(CASE, DOC, KIND, name)


@pytest.mark.parametrize("cut", [0, 1, len(MAGIC) + 12, len(MAGIC) + 12 + 15])
def test_a_cut_file_is_caught(vault: DocumentVault, desk_dir: Path, cut: int) -> None:
    name = vault.seal(CASE, DOC, KIND, SECRET)
    path = desk_dir / name
    path.write_bytes(path.read_bytes()[:cut])
    with pytest.raises(DocumentUnreadable):
        vault.open(CASE, DOC, KIND, name)


@pytest.mark.parametrize(
    ("case", "document", "kind"),
    [(OTHER_CASE, DOC, KIND), (CASE, OTHER_DOC, KIND), (CASE, DOC, DocumentKind.SELFIE)],
    ids=["another case", "another document", "another kind"],
)
def test_a_file_opens_only_as_its_own_document(
    vault: DocumentVault, case: str, document: str, kind: DocumentKind
) -> None:
    name = vault.seal(CASE, DOC, KIND, SECRET)
    with pytest.raises(DocumentUnreadable):
        vault.open(case, document, kind, name)


def test_a_file_moved_over_another_cases_file_does_not_open(vault: DocumentVault, desk_dir: Path) -> None:
    mine = vault.seal(CASE, DOC, KIND, SECRET)
    theirs = vault.seal(OTHER_CASE, OTHER_DOC, KIND, b"the other case's document")
    os.replace(desk_dir / mine, desk_dir / theirs)
    with pytest.raises(DocumentUnreadable):
        vault.open(OTHER_CASE, OTHER_DOC, KIND, theirs)


@pytest.mark.parametrize("name", ["../mfa-recovery.db", "/etc/passwd", "x.bin", "A" * 32 + ".bin", "", "."])
def test_only_names_the_vault_gives_are_touched(vault: DocumentVault, name: str) -> None:
    assert not is_file_name(name)
    with pytest.raises(DocumentUnreadable):
        vault.open(CASE, DOC, KIND, name)
    with pytest.raises(ValueError):
        vault.delete(name)


def test_a_missing_file_is_unreadable(vault: DocumentVault) -> None:
    with pytest.raises(DocumentUnreadable):
        vault.open(CASE, DOC, KIND, "0" * 32 + ".bin")


# --- files, names and modes ----------------------------------------------------------------------------------------


def test_names_are_random_and_say_nothing(vault: DocumentVault) -> None:
    first = vault.seal(CASE, DOC, KIND, SECRET)
    second = vault.seal(CASE, DOC, KIND, SECRET)
    assert first != second and is_file_name(first) and is_file_name(second)
    assert vault.files.read(first)[len(MAGIC) :] != vault.files.read(second)[len(MAGIC) :]  # fresh nonce each time


def test_directory_0700_and_files_0600(vault: DocumentVault, desk_dir: Path) -> None:
    old = os.umask(0)  # even with a permissive umask
    try:
        name = vault.seal(CASE, DOC, KIND, SECRET)
    finally:
        os.umask(old)
    assert stat.S_IMODE(desk_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE((desk_dir / name).stat().st_mode) == 0o600


def test_a_loose_directory_is_tightened(desk_dir: Path) -> None:
    desk_dir.mkdir(parents=True)
    desk_dir.chmod(0o755)
    DocumentVault(VaultFiles(desk_dir), KEY).seal(CASE, DOC, KIND, SECRET)
    assert stat.S_IMODE(desk_dir.stat().st_mode) == 0o700


def test_delete_removes_the_file_and_a_second_delete_is_no_error(vault: DocumentVault, desk_dir: Path) -> None:
    name = vault.seal(CASE, DOC, KIND, SECRET)
    assert vault.delete(name) is True
    assert not (desk_dir / name).exists()
    assert vault.delete(name) is False
    with pytest.raises(DocumentUnreadable):
        vault.open(CASE, DOC, KIND, name)


def test_entries_lists_only_the_vaults_files(vault: DocumentVault, desk_dir: Path) -> None:
    assert VaultFiles(desk_dir).entries() == []  # no directory yet
    name = vault.seal(CASE, DOC, KIND, SECRET)
    (desk_dir / "README").write_text("not ours")
    (desk_dir / ("f" * 32 + ".bin")).mkdir()
    assert [entry.name for entry in vault.files.entries()] == [name]


def test_nothing_is_made_before_the_first_document(desk_dir: Path) -> None:
    DocumentVault(VaultFiles(desk_dir), KEY)
    assert not desk_dir.exists()


# --- the key's settings --------------------------------------------------------------------------------------------

PRODUCTION = {
    "MFA_RECOVERY_ENV": "production",
    "MFA_RECOVERY_CODE_PEPPER": "p" * 32,
    "MFA_RECOVERY_AUDIT_KEY": "a" * 32,
    "MFA_RECOVERY_KEYCLOAK_CLIENT_SECRET": "k" * 32,
    "MFA_RECOVERY_ANSWER_SIGNING_KEY": ANSWER_KEY_PEM.decode(),
}


def problems_of(env: dict[str, str]) -> tuple[str, ...]:
    with pytest.raises(ConfigError) as info:
        Settings.from_env(env)
    return info.value.problems


def test_development_has_the_desk_on_with_the_public_key(tmp_path: Path) -> None:
    settings = Settings.from_env({**DEV_ENV, "MFA_RECOVERY_DATA_DIR": str(tmp_path)})
    assert settings.desk_key == DEVELOPMENT_DESK_KEY
    assert settings.desk_dir == tmp_path / "desk"
    assert (settings.desk_retention_days, settings.desk_source_limit, settings.desk_account_limit) == (30, 10, 3)
    assert settings.desk_max_pdf_bytes == settings.desk_max_image_bytes == 10 * 2**20
    assert DEVELOPMENT_DESK_KEY not in repr(settings)


def test_production_without_a_key_has_the_desk_off() -> None:
    assert Settings.from_env(PRODUCTION).desk_key is None


def test_production_refuses_the_public_and_short_keys() -> None:
    [line] = problems_of({**PRODUCTION, "MFA_RECOVERY_DESK_KEY": DEVELOPMENT_DESK_KEY})
    assert line.startswith("MFA_RECOVERY_DESK_KEY is the public development default")
    assert problems_of({**PRODUCTION, "MFA_RECOVERY_DESK_KEY": "d" * 31}) == (
        "MFA_RECOVERY_DESK_KEY must be at least 32 bytes in production",
    )
    assert Settings.from_env({**PRODUCTION, "MFA_RECOVERY_DESK_KEY": "d" * 32}).desk_key == "d" * 32


@pytest.mark.parametrize("other", ["MFA_RECOVERY_CODE_PEPPER", "MFA_RECOVERY_AUDIT_KEY"])
def test_the_desk_key_is_no_other_secret(other: str) -> None:
    [line] = problems_of({**PRODUCTION, "MFA_RECOVERY_DESK_KEY": PRODUCTION[other]})
    assert line.startswith("MFA_RECOVERY_DESK_KEY must differ from MFA_RECOVERY_CODE_PEPPER and MFA_RECOVERY_AUDIT_KEY")
    for value in (DEVELOPMENT_CODE_PEPPER, DEVELOPMENT_AUDIT_KEY):  # in development too
        assert problems_of({**DEV_ENV, "MFA_RECOVERY_DESK_KEY": value})


def test_the_key_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "desk-key"
    path.write_text("f" * 40 + "\n")
    settings = Settings.from_env({**PRODUCTION, "MFA_RECOVERY_DESK_KEY_FILE": str(path)})
    assert settings.desk_key == "f" * 40
    assert problems_of({**PRODUCTION, "MFA_RECOVERY_DESK_KEY_FILE": str(tmp_path / "missing")})


@pytest.mark.parametrize(
    "env",
    [
        {"MFA_RECOVERY_DESK_RETENTION_DAYS": "0"},
        {"MFA_RECOVERY_DESK_RETENTION_DAYS": "thirty"},
        {"MFA_RECOVERY_DESK_MAX_PDF_BYTES": "100"},
        {"MFA_RECOVERY_DESK_MAX_IMAGE_BYTES": str(101 * 2**20)},
        {"MFA_RECOVERY_DESK_SOURCE_LIMIT": "0"},
        {"MFA_RECOVERY_DESK_ACCOUNT_LIMIT": "-1"},
    ],
)
def test_invalid_desk_settings(env: dict[str, str]) -> None:
    assert problems_of({**DEV_ENV, **env})


def test_desk_settings_are_read() -> None:
    settings = Settings.from_env(
        {
            **DEV_ENV,
            "MFA_RECOVERY_DESK_RETENTION_DAYS": "7",
            "MFA_RECOVERY_DESK_MAX_PDF_BYTES": "2048",
            "MFA_RECOVERY_DESK_MAX_IMAGE_BYTES": "4096",
            "MFA_RECOVERY_DESK_SOURCE_LIMIT": "2",
            "MFA_RECOVERY_DESK_ACCOUNT_LIMIT": "1",
        }
    )
    assert (settings.desk_retention_days, settings.desk_max_pdf_bytes, settings.desk_max_image_bytes) == (7, 2048, 4096)
    assert (settings.desk_source_limit, settings.desk_account_limit) == (2, 1)
