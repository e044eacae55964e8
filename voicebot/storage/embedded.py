"""A private PostgreSQL cluster run from the machine's own server binaries.

Used when DATABASE_URL is not set. The cluster listens on 127.0.0.1 only (no Unix socket), on a free
port chosen at first start, with password (SCRAM) authentication for a generated superuser
``voicebot``; the password and port are kept in ``<data_dir>/embedded-pg.json`` (mode 0600).

Where the cluster lives:

* non-root: ``<data_dir>/pg``, owned by the invoking user;
* root: PostgreSQL refuses to run as root, so initdb / pg_ctl run as the ``postgres`` system user
  (``runuser -u postgres``) and the cluster lives in ``/var/lib/voicebot/pg/<key>`` (key: a hash of
  the data dir), a directory owned by ``postgres`` with mode 0700. Root's home (0700) is never
  chmod-ed to make it reachable.

Start and stop are serialized between processes with a lock file; starting a running cluster is a no-op.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import hashlib
import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from voicebot.errors import EmbeddedPostgresError

__all__ = ["EmbeddedPostgres", "EmbeddedStatus", "find_bin_dir"]

ROOT_CLUSTERS = Path("/var/lib/voicebot/pg")
USER = "voicebot"
DATABASE = "voicebot"
INSTALL_HINT = (
    "install them with `apt-get update && apt-get install -y postgresql` "
    "(or run scripts/install-postgres.sh), "
    "or set DATABASE_URL to use an existing server"
)


def find_bin_dir() -> Path:
    """The newest PostgreSQL server bin directory (Debian layout first, then PATH)."""
    candidates = sorted(
        (Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin") if (Path(p) / "initdb").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if candidates:
        return candidates[-1]
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return Path(on_path).resolve().parent
    raise EmbeddedPostgresError(
        f"no PostgreSQL server binaries found (looked in /usr/lib/postgresql/*/bin and PATH); {INSTALL_HINT}"
    )


@dataclass(frozen=True, slots=True)
class EmbeddedStatus:
    running: bool
    initialized: bool
    cluster_dir: Path
    url: str | None
    pid: int | None


class EmbeddedPostgres:
    """One private cluster belonging to a voicebot data directory."""

    def __init__(self, data_dir: Path, *, fast: bool = False, cluster_dir: Path | None = None) -> None:
        """``fast`` turns durability off (fsync, full-page writes): for throwaway test clusters only."""
        self.data_dir = data_dir.expanduser().resolve()
        self.fast = fast
        self._as_postgres = os.geteuid() == 0
        if cluster_dir is not None:
            self.cluster_dir = cluster_dir
        elif self._as_postgres:
            key = hashlib.sha256(str(self.data_dir).encode()).hexdigest()[:16]
            self.cluster_dir = ROOT_CLUSTERS / key
        else:
            self.cluster_dir = self.data_dir / "pg"
        self._pgdata = self.cluster_dir / "data"
        self._state_file = self.data_dir / "embedded-pg.json"
        self._lock_file = self.data_dir / "embedded-pg.lock"

    # ------------------------------------------------------------------ public

    def status(self) -> EmbeddedStatus:
        state = self._read_state()
        initialized = (self._pgdata / "PG_VERSION").exists() if self._readable() else state is not None
        pid, port = self._postmaster()
        running = pid is not None and self._pg_ctl_status()
        url = self._url(state, port if running else None) if state else None
        return EmbeddedStatus(running, initialized, self.cluster_dir, url, pid if running else None)

    def start(self) -> str:
        """Create the cluster if needed, start it if stopped; return its URL. Idempotent."""
        with self._locked():
            bin_dir = find_bin_dir()
            state = self._read_state()
            if state is None or not self._cluster_exists():
                state = self._init(bin_dir)
            if self._pg_ctl_status():
                _, port = self._postmaster()
                return self._url(state, port)
            port = self._start(bin_dir, preferred=state.get("port"))
            state["port"] = port
            self._write_state(state)
            if not state.get("database_created"):
                self._run(
                    [str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", USER, DATABASE],
                    env={"PGPASSWORD": str(state["password"])},
                    as_postgres=False,
                )
                state["database_created"] = True
                self._write_state(state)
            return self._url(state, port)

    def stop(self) -> bool:
        """Stop the cluster (fast shutdown); False if it was not running."""
        with self._locked():
            if not self._pg_ctl_status():
                return False
            self._run([str(find_bin_dir() / "pg_ctl"), "-D", str(self._pgdata), "-m", "fast", "-w", "stop"])
            return True

    def destroy(self) -> None:
        """Stop and delete the cluster and its state file (tests and `db` resets)."""
        with contextlib.suppress(EmbeddedPostgresError):
            self.stop()
        shutil.rmtree(self.cluster_dir, ignore_errors=True)
        self._state_file.unlink(missing_ok=True)

    # ------------------------------------------------------------------ internals

    def _init(self, bin_dir: Path) -> dict[str, object]:
        owner = self._owner()
        if self._as_postgres:
            self.cluster_dir.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
        shutil.rmtree(self.cluster_dir, ignore_errors=True)
        self.cluster_dir.mkdir(parents=True, mode=0o700)
        os.chown(self.cluster_dir, owner.pw_uid, owner.pw_gid)
        password = secrets.token_urlsafe(24)
        pwfile = self.cluster_dir / ".pwfile"
        pwfile.write_text(password + "\n")
        os.chmod(pwfile, 0o600)
        os.chown(pwfile, owner.pw_uid, owner.pw_gid)
        args = [str(bin_dir / "initdb"), "-D", str(self._pgdata), "-U", USER, f"--pwfile={pwfile}"]
        args += ["--auth=scram-sha-256", "-E", "UTF8", "--no-locale"]
        if self.fast:
            args.append("--no-sync")
        try:
            self._run(args)
        finally:
            pwfile.unlink(missing_ok=True)
        conf = [
            "listen_addresses = '127.0.0.1'",
            "unix_socket_directories = ''",
            "max_connections = 200",
        ]
        if self.fast:
            conf += ["fsync = off", "synchronous_commit = off", "full_page_writes = off"]
        with (self._pgdata / "postgresql.conf").open("a") as fh:
            fh.write("\n# voicebot embedded cluster\n" + "\n".join(conf) + "\n")
        state: dict[str, object] = {"cluster_dir": str(self.cluster_dir), "password": password, "port": None}
        self._write_state(state)
        return state

    def _start(self, bin_dir: Path, *, preferred: object = None) -> int:
        last = ""
        for attempt in range(3):
            port = int(preferred) if attempt == 0 and isinstance(preferred, int) else _free_port()
            log = self.cluster_dir / "postgres.log"
            cmd = [str(bin_dir / "pg_ctl"), "-D", str(self._pgdata), "-l", str(log), "-w", "-t", "60"]
            cmd += ["-o", f"-p {port}", "start"]
            try:
                self._run(cmd)
                return port
            except EmbeddedPostgresError as exc:
                last = str(exc)
                if "could not bind" not in self._log_tail():
                    break
        raise EmbeddedPostgresError(f"{last}\n{self._log_tail()}")

    def _run(
        self, args: Sequence[str], *, env: dict[str, str] | None = None, as_postgres: bool = True
    ) -> str:
        cmd = list(args)
        if as_postgres and self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        full_env = {**os.environ, **(env or {}), "LC_ALL": "C"}
        try:
            done = subprocess.run(
                cmd,
                cwd=self.cluster_dir,
                env=full_env,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise EmbeddedPostgresError(f"embedded PostgreSQL: {Path(args[0]).name} failed: {exc}") from exc
        if done.returncode != 0:
            raise EmbeddedPostgresError(
                f"embedded PostgreSQL: {Path(args[0]).name} exited {done.returncode}: "
                f"{(done.stderr or done.stdout).strip()}"
            )
        return done.stdout

    def _pg_ctl_status(self) -> bool:
        if not self._cluster_exists():
            return False
        try:
            bin_dir = find_bin_dir()
        except EmbeddedPostgresError:
            return False
        cmd = [str(bin_dir / "pg_ctl"), "-D", str(self._pgdata), "status"]
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        done = subprocess.run(cmd, cwd="/", capture_output=True, text=True, check=False)
        return done.returncode == 0

    def _postmaster(self) -> tuple[int | None, int | None]:
        try:
            lines = (self._pgdata / "postmaster.pid").read_text().splitlines()
            return int(lines[0]), int(lines[3])
        except (OSError, IndexError, ValueError):
            return None, None

    def _cluster_exists(self) -> bool:
        return (self._pgdata / "PG_VERSION").exists()

    def _readable(self) -> bool:
        return os.access(self.cluster_dir, os.X_OK) if self.cluster_dir.exists() else True

    def _log_tail(self) -> str:
        try:
            return "\n".join((self.cluster_dir / "postgres.log").read_text().splitlines()[-10:])
        except OSError:
            return ""

    def _owner(self) -> pwd.struct_passwd:
        if not self._as_postgres:
            return pwd.getpwuid(os.geteuid())
        try:
            return pwd.getpwnam("postgres")
        except KeyError:
            raise EmbeddedPostgresError(
                "running as root needs the 'postgres' system user to run the embedded cluster; "
                f"{INSTALL_HINT}, or run voicebot as a non-root user"
            ) from None

    def _url(self, state: dict[str, object], port: int | None) -> str:
        port = port or int(str(state.get("port") or 0)) or None
        host = f"127.0.0.1:{port}" if port else "127.0.0.1"
        return f"postgresql://{USER}:{quote(str(state['password']), safe='')}@{host}/{DATABASE}"

    def _read_state(self) -> dict[str, object] | None:
        try:
            data = json.loads(self._state_file.read_text())
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) and data.get("cluster_dir") == str(self.cluster_dir) else None

    def _write_state(self, state: dict[str, object]) -> None:
        tmp = self._state_file.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(state, fh)
        os.replace(tmp, self._state_file)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        with self._lock_file.open("a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
