"""A real PgBouncer (Debian's ``pgbouncer``) in transaction mode in front of a test database.

    with PgBouncer(database_url, pool_size=3) as bouncer:
        bouncer.url          # what the call processes connect to (statement cache off)
        # connections Postgres sees: count pg_stat_activity for the database from another database

PgBouncer refuses to run as root, so as root it runs as the ``postgres`` system user (which the
PostgreSQL packages create), like the embedded cluster. Clients authenticate with ``trust`` (loopback
only); PgBouncer logs in to Postgres with the database URL's own user and password.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit, urlunsplit

__all__ = ["CONNECTIONS", "PgBouncer", "pgbouncer_binary"]


def pgbouncer_binary() -> str | None:
    return shutil.which("pgbouncer") or (
        "/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgBouncer:
    def __init__(self, database_url: str, *, pool_size: int, max_client_conn: int = 1000) -> None:
        binary = pgbouncer_binary()
        if binary is None:
            raise RuntimeError("pgbouncer is not installed (scripts/install-test-deps.sh installs it)")
        self._binary = binary
        self._target = urlsplit(database_url)
        self.pool_size = pool_size
        self.max_client_conn = max_client_conn
        self.port = _free_port()
        self._dir = Path(tempfile.mkdtemp(prefix="vb-pgbouncer-"))
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        t = self._target
        return urlunsplit(t._replace(netloc=f"{t.username}@127.0.0.1:{self.port}"))

    @property
    def dbname(self) -> str:
        return self._target.path.lstrip("/")

    def _config(self) -> str:
        t = self._target
        db = self.dbname
        return "\n".join(
            [
                "[databases]",
                f"{db} = host={t.hostname} port={t.port} dbname={db} user={t.username} "
                f"password={t.password or ''}",
                "[pgbouncer]",
                "listen_addr = 127.0.0.1",
                f"listen_port = {self.port}",
                f"unix_socket_dir = {self._dir}",
                "auth_type = trust",
                f"auth_file = {self._dir / 'users.txt'}",
                "pool_mode = transaction",
                f"default_pool_size = {self.pool_size}",
                "min_pool_size = 0",
                "reserve_pool_size = 0",
                f"max_client_conn = {self.max_client_conn}",
                "server_reset_query =",
                "ignore_startup_parameters = extra_float_digits",
                f"logfile = {self._dir / 'pgbouncer.log'}",
                f"pidfile = {self._dir / 'pgbouncer.pid'}",
                "",
            ]
        )

    def start(self) -> PgBouncer:
        (self._dir / "pgbouncer.ini").write_text(self._config())
        (self._dir / "users.txt").write_text(f'"{self._target.username}" ""\n')
        cmd = [self._binary, str(self._dir / "pgbouncer.ini")]
        if os.geteuid() == 0:
            shutil.chown(self._dir, "postgres")
            for f in self._dir.iterdir():
                shutil.chown(f, "postgres")
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        self._proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                err = self._proc.stderr.read().decode() if self._proc.stderr else ""
                raise RuntimeError(f"pgbouncer exited {self._proc.returncode}: {err}{self.log()}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.05)
        raise RuntimeError(f"pgbouncer did not listen on {self.port}: {self.log()}")

    def log(self) -> str:
        path = self._dir / "pgbouncer.log"
        return path.read_text() if path.exists() else ""

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> PgBouncer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


CONNECTIONS = "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend'"
"""Client connections to the database (run it from a connection to another database, e.g. ``postgres``)."""
