"""A throwaway PostgreSQL for the store tests, through ``scripts/postgres.sh`` (the same script a developer uses).

The cluster belongs to the test instance (``~/.cache/mfa-recovery/instances/test/postgres``). Each test run works
in databases of its own, made fresh and dropped at the end, so runs never see each other's rows.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import time

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL, make_url

from tests.support.stack import INSTANCE, SCRIPTS

SCRIPT = SCRIPTS / "postgres.sh"


class PostgresCluster:
    """The test instance's cluster: started if it is not running, stopped again only if this run started it."""

    def __init__(self, instance: str = INSTANCE) -> None:
        self.environ = dict(os.environ, MFA_RECOVERY_INSTANCE=instance)
        self.url: URL | None = None
        self.started_here = False
        self._databases: list[str] = []

    def _script(self, command: str, *, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [str(SCRIPT), command], env=self.environ, capture_output=True, text=True, timeout=180, check=False
        )
        if check and result.returncode != 0:
            raise RuntimeError(f"scripts/postgres.sh {command} failed ({result.returncode}):\n{result.stderr}")
        return result

    def start(self) -> URL:
        self.started_here = self._script("status", check=False).returncode != 0
        output = self._script("start").stdout.strip().splitlines()
        self.url = make_url(output[-1])
        return self.url

    def stop(self) -> None:
        if self._databases and self._script("status", check=False).returncode == 0:
            for name in reversed(self._databases):
                self.drop_database(name)
        if self.started_here:
            self._script("stop")

    def _admin_connection(self) -> psycopg.Connection:
        assert self.url is not None, "start the cluster first"
        return psycopg.connect(
            host=self.url.host,
            port=self.url.port,
            user=self.url.username,
            dbname=self.url.database,
            autocommit=True,
            connect_timeout=10,
        )

    def create_database(self, label: str = "run") -> URL:
        """A new, empty database owned by the test role; dropped when the cluster fixture ends."""
        assert self.url is not None, "start the cluster first"
        name = f"mfa_{label}_{time.strftime('%Y%m%d%H%M%S')}_{secrets.token_hex(3)}"
        with self._admin_connection() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        self._databases.append(name)
        return self.url.set(database=name)

    def fresh_database(self, name: str) -> URL:
        """The database ``name``, emptied: dropped if an earlier run left it, and made anew. It is kept when the
        cluster fixture ends (the next run empties it again), so that a server still using it can stop first."""
        assert self.url is not None, "start the cluster first"
        with self._admin_connection() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url.set(database=name)

    def drop_database(self, name: str) -> None:
        with self._admin_connection() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if name in self._databases:
            self._databases.remove(name)
