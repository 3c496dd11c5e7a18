"""A PostgreSQL server of the test's own, for what workers share through a real database."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from .processes import free_port

# initdb refuses to run as root: as root, the server runs as the user that PostgreSQL's package made.
SERVER_USER = "postgres"


@contextmanager
def throwaway_server() -> Iterator[str]:
    """Start a new PostgreSQL cluster on a free port of the loopback and yield its SQLAlchemy URL
    (psycopg, the `postgres` extra's driver); stop it and remove its files at the end. Skipped
    where PostgreSQL's programs or the driver are missing."""
    pytest.importorskip("psycopg", reason="PostgreSQL's driver: pip install .[postgres]")
    if not (shutil.which("initdb") and shutil.which("pg_ctl")):
        pytest.skip("PostgreSQL's initdb and pg_ctl are not on the PATH")
    folder = Path(tempfile.mkdtemp(prefix="postgres-"))
    user = None
    if os.geteuid() == 0:
        try:
            account = pwd.getpwnam(SERVER_USER)
        except KeyError:
            pytest.skip(f"running as root, and there is no {SERVER_USER!r} user to run PostgreSQL as")
        os.chown(folder, account.pw_uid, account.pw_gid)
        user = SERVER_USER
    port = free_port()
    data = folder / "data"
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1"

    def pg(*command: str) -> None:
        result = subprocess.run(command, capture_output=True, text=True, user=user, timeout=120)
        assert result.returncode == 0, f"{' '.join(command)}: {result.stdout}{result.stderr}"

    try:
        pg("initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        pg("pg_ctl", "-D", str(data), "-l", str(folder / "server.log"), "-o", options, "-w", "start")
        try:
            yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        finally:
            pg("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
