"""The Virtuoso server policykg talks to: its own on loopback, or an existing one.

With no server address configured, policykg runs its own `virtuoso-t` (Debian's
virtuoso-opensource) for the data folder, in `DATA/virtuoso/`:

- **a generated `virtuoso.ini`**, rewritten at every start: both ports on 127.0.0.1 only,
  `DirsAllowed` the data folder alone (the bulk loader reads the generations' files there
  and nothing else), `CaseMode = 2` (without it `SET PASSWORD` does not take), the row and
  time limits above the endpoint's own (ontology.sparql.Limits, which it asks for per
  query: Virtuoso's own cut is then only ever a safety net), buffers sized from the machine's memory;
- **a random dba password** set on the first start and kept in `credentials.json` (0600),
  then a checkpoint (a password set without one is lost when the server stops quickly);
  the anonymous SPARQL user may read and nothing else (no SERVICE or sponging), and the
  web paths that write or fetch (`/conductor`, the graph store protocol, `/DAV`, the
  proxy) are removed;
- **shared by whoever needs it**: `policykg build`, `serve`, `sparql` and `export` each hold
  a shared lock on `users.lock` while they use the server; the first starts it and the
  last one out stops it (`shutdown`: a checkpoint, then exit), under `start.lock` so that
  a start and a stop never cross.

With an address (`POLICYKG_VIRTUOSO_URL`) nothing is started or stopped: the reads go to
that server's endpoint (as a reader account, if one is given) and the loads to its SQL
port as the configured account.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import shutil
import signal
import subprocess
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from policykg.ontology.virtuoso import Endpoint, VirtuosoUnavailable, post
from policykg.ontology.virtuoso_load import SqlAccess, SqlFailed, run_sql

SERVER = "virtuoso-t"
FOLDER = "virtuoso"                   # the managed server's folder in the data folder
CREDENTIALS = "credentials.json"
INI = "virtuoso.ini"
DEFAULT_SQL_PORT = 1111
START_SECONDS = 120.0                 # a first start creates the database: seconds


class VirtuosoFailed(RuntimeError):
    """The managed server could not be started, or the configured one reached."""


@dataclass(frozen=True)
class VirtuosoConfig:
    """How to reach Virtuoso, from the settings (web.settings: virtuoso_*)."""
    url: str = ""                     # an existing server's HTTP address; "": managed
    sql: str = ""                     # its SQL port host:port; "": the URL's host, port 1111
    user: str = "dba"                 # the account that loads and drops graphs
    password: str = field(default="", repr=False)
    read_user: str = ""               # the read-only account of the endpoint; "": anonymous
    read_password: str = field(default="", repr=False)
    # The managed server's ports (loopback): not Virtuoso's own 8890 / 1111, where Debian's
    # package starts its system server on a machine with systemd.
    http_port: int = 8895
    sql_port: int = 1115
    timeout: float = 10.0             # the endpoint's time limit (the server's is above)
    # The managed server's ResultSetMaxRows: the most rows of any answer.  The endpoint
    # asks for its own limit per query (maxrows); the pages' questions need whole answers.
    result_rows: int = 100_000

    @property
    def managed(self) -> bool:
        return not self.url


@dataclass(frozen=True)
class Connection:
    endpoint: Endpoint                # reads (read-only account)
    access: SqlAccess                 # loads and drops


def folder_of(data_dir: Path) -> Path:
    return Path(data_dir) / FOLDER


def endpoint(config: VirtuosoConfig) -> Endpoint:
    """Where the graph is read, without starting anything."""
    if config.managed:
        return Endpoint(f"http://127.0.0.1:{config.http_port}")
    return Endpoint(config.url.rstrip("/").removesuffix("/sparql"), config.read_user,
                    config.read_password)


def access(config: VirtuosoConfig, data_dir: Path) -> SqlAccess:
    """The loading account: the managed server's dba (its password from the data folder),
    or the configured one."""
    if config.managed:
        creds = _read_credentials(folder_of(data_dir))
        if creds is None:
            raise VirtuosoFailed(f"no Virtuoso has been set up in {folder_of(data_dir)}")
        return SqlAccess(f"127.0.0.1:{config.sql_port}", creds["user"], creds["password"])
    address = config.sql or f"{urllib.parse.urlsplit(config.url).hostname}:{DEFAULT_SQL_PORT}"
    return SqlAccess(address, config.user, config.password)


@contextlib.contextmanager
def session(config: VirtuosoConfig, data_dir: Path) -> Iterator[Connection]:
    """The server for as long as the block runs: the managed one started if no other
    user has it running, and stopped after the block if no other user holds it."""
    if not config.managed:
        yield Connection(endpoint(config), access(config, data_dir))
        return
    folder = folder_of(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    with _locked(folder / "start.lock"):
        if not (_ours_running(data_dir) and answers(config)):
            if answers(config):
                raise VirtuosoFailed(f"port {config.http_port} answers for another Virtuoso: "
                                     "set POLICYKG_VIRTUOSO_HTTP_PORT and _SQL_PORT to free ones")
            start(config, data_dir)
        users = open(folder / "users.lock", "a")
        fcntl.flock(users, fcntl.LOCK_SH)
    try:
        yield Connection(endpoint(config), access(config, data_dir))
    finally:
        with _locked(folder / "start.lock"):
            users.close()                    # this user's shared lock goes with it
            if _nobody_holds(folder / "users.lock"):
                stop(config, data_dir)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def _nobody_holds(path: Path) -> bool:
    with open(path, "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        return True


def answers(config: VirtuosoConfig, seconds: float = 2.0) -> bool:
    """Whether the server's SPARQL endpoint answers."""
    try:
        reply = post(endpoint(config), [("query", "ASK {}")], seconds)
    except (VirtuosoUnavailable, TimeoutError):
        return False
    return reply.status == 200


# ---- the managed server ---------------------------------------------------------------------

def buffers() -> int:
    """NumberOfBuffers (8 KB pages held in memory): an eighth of the machine's memory,
    between Debian's default (80 MB) and 2.7 GB; MaxDirtyBuffers is three quarters."""
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        memory = 4 << 30
    return max(10_000, min(340_000, memory // 8 // 8192))


def ini_text(config: VirtuosoConfig, data_dir: Path) -> str:
    folder = folder_of(data_dir).resolve()
    n = buffers()
    return f"""; written by policykg at every start of its own Virtuoso; edits are overwritten
[Database]
DatabaseFile       = {folder}/virtuoso.db
ErrorLogFile       = {folder}/virtuoso.log
LockFile           = {folder}/virtuoso.lck
TransactionFile    = {folder}/virtuoso.trx
xa_persistent_file = {folder}/virtuoso.pxa
ErrorLogLevel      = 7
FileExtend         = 200
MaxCheckpointRemap = 2000
Striping           = 0
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile       = {folder}/virtuoso-temp.db
TransactionFile    = {folder}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping           = 0

[Parameters]
ServerPort           = 127.0.0.1:{config.sql_port}
DisableUnixSocket    = 1
MaxClientConnections = 20
CheckpointInterval   = 60
CaseMode             = 2
AllowOSCalls         = 0
DirsAllowed          = {Path(data_dir).resolve()}
NumberOfBuffers      = {n}
MaxDirtyBuffers      = {n * 3 // 4}
ThreadsPerQuery      = {max(1, os.cpu_count() or 1)}
MaxQueryMem          = 1G

[HTTPServer]
ServerPort           = 127.0.0.1:{config.http_port}
ServerRoot           = {folder}/vsp
MaxClientConnections = 20
ServerThreads        = 20
EnabledDavVSP        = 0
HTTPProxyEnabled     = 0
Charset              = UTF-8

[SPARQL]
ResultSetMaxRows           = {config.result_rows}
MaxQueryCostEstimationTime = 0
MaxQueryExecutionTime      = {int(config.timeout) + 60}
DefaultGraph               = urn:policykg:no-named-graph
"""


# Set on the first start, as dba with the initial password, then checkpointed: the SPARQL
# user (the anonymous endpoint) reads and nothing else, and no web path writes or fetches.
_FIRST_START = (
    'REVOKE "SPARQL_LOAD_SERVICE_DATA" FROM "SPARQL"',
    'REVOKE "SPARQL_UPDATE" FROM "SPARQL"',
    "DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 1)",
    *(f"DB.DBA.VHOST_REMOVE (lhost=>'*ini*', vhost=>'*ini*', lpath=>'{path}')"
      for path in ("/conductor", "/sparql-graph-crud", "/sparql-graph-crud-auth", "/DAV",
                   "/proxy", "/rdf_net", "/URIQA", "/uriqa", "/admin", "/install")),
)
_NOT_GRANTED = "U0014"        # a REVOKE of a role the user does not have: nothing to do


def start(config: VirtuosoConfig, data_dir: Path) -> None:
    """Start the managed server and wait until it answers; set it up on its first start."""
    if shutil.which(SERVER) is None:
        raise VirtuosoFailed(f"{SERVER} not found: install Debian's virtuoso-opensource "
                             "(apt-get install virtuoso-opensource)")
    folder = folder_of(data_dir)
    (folder / "vsp").mkdir(parents=True, exist_ok=True)
    (folder / INI).write_text(ini_text(config, data_dir), encoding="utf-8")
    log = open(folder / "virtuoso.out", "ab")
    process = subprocess.Popen([SERVER, "+configfile", str((folder / INI).resolve()),
                                "+foreground"], cwd=folder, stdin=subprocess.DEVNULL,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    log.close()
    deadline = time.monotonic() + START_SECONDS
    while not answers(config, 1.0):
        if process.poll() is not None:
            raise VirtuosoFailed(f"{SERVER} stopped at start (exit {process.returncode}): "
                                 f"{_last_log_line(folder)}")
        if time.monotonic() > deadline:
            process.kill()
            raise VirtuosoFailed(f"{SERVER} did not answer within {START_SECONDS:g} s")
        time.sleep(0.2)
    if _read_credentials(folder) is None:
        try:
            _first_start(config, folder)
        except (SqlFailed, OSError) as exc:
            process.kill()            # a server nobody can log in to is of no use
            process.wait()
            raise VirtuosoFailed(f"setting up Virtuoso failed: {exc}") from None


def _first_start(config: VirtuosoConfig, folder: Path) -> None:
    """The read-only SPARQL user and the web paths removed, then a random dba password
    (CaseMode = 2 makes SET PASSWORD take) and a checkpoint, so that it all lasts.

    One statement per isql run (isql goes on after a failed statement), and the password
    kept before it is set: a failure in between must not lock the data folder out."""
    initial = SqlAccess(f"127.0.0.1:{config.sql_port}", "dba", "dba")
    path = folder / CREDENTIALS
    pending = path.with_suffix(".pending")
    if _pending_works(initial, pending):       # set by a first start cut short after it
        os.replace(pending, path)
        return
    for statement in _FIRST_START:
        try:
            run_sql(initial, statement + ";\n")
        except SqlFailed as exc:
            if _NOT_GRANTED not in str(exc):
                raise
    # SET PASSWORD takes the old and the new password as bare words (identifiers): letters
    # and digits, a letter first
    password = "p" + secrets.token_hex(24)
    fd = os.open(pending, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({"user": "dba", "password": password}, fh)
    run_sql(initial, f"SET PASSWORD dba {password};\n")
    changed = SqlAccess(initial.address, "dba", password)
    run_sql(changed, "checkpoint;\n")
    os.replace(pending, path)


def _pending_works(initial: SqlAccess, pending: Path) -> bool:
    try:
        password = json.loads(pending.read_text(encoding="utf-8"))["password"]
        run_sql(SqlAccess(initial.address, "dba", password), "checkpoint;\n")
    except (OSError, ValueError, KeyError, SqlFailed):
        return False
    return True


def _read_credentials(folder: Path) -> dict | None:
    try:
        return json.loads((folder / CREDENTIALS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def server_pid(data_dir: Path) -> int | None:
    """The managed server's process id, from its lock file (while it runs)."""
    try:
        text = (folder_of(data_dir) / "virtuoso.lck").read_text()
    except OSError:
        return None
    value = text.strip().removeprefix("VIRT_PID=")
    return int(value) if value.isdigit() else None


def _ours_running(data_dir: Path) -> bool:
    """Whether the data folder's own server process is alive (its lock file names it)."""
    pid = server_pid(data_dir)
    if pid is None:
        return False
    try:
        return SERVER in Path(f"/proc/{pid}/cmdline").read_bytes().decode("utf-8", "replace")
    except OSError:
        return False


def stop(config: VirtuosoConfig, data_dir: Path, seconds: float = 60.0) -> None:
    """Stop the managed server: `shutdown` (a checkpoint, then exit), else SIGTERM, else
    SIGKILL; returns when its process is gone."""
    pid = server_pid(data_dir)
    try:
        run_sql(access(config, data_dir), "shutdown;\n", timeout=seconds)
    except (SqlFailed, VirtuosoFailed):
        pass            # (the client sees the connection close as an error, too)
    if pid is None or _wait_gone(pid, seconds):
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        if _wait_gone(pid, 10):
            return


def _wait_gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
            with contextlib.suppress(ChildProcessError):
                if os.waitpid(pid, os.WNOHANG)[0] == pid:     # our child: reap it
                    return True
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def _last_log_line(folder: Path) -> str:
    """Why the server stopped: its log's last line, but the one before a closing "Server
    exiting" ("Failed to start listening at SQL port …" says what to change)."""
    for name in ("virtuoso.out", "virtuoso.log"):
        try:
            lines = (folder / name).read_text(errors="replace").strip().splitlines()
        except OSError:
            continue
        said = [line for line in lines if not line.rstrip().endswith("Server exiting")]
        if said or lines:
            return (said or lines)[-1][:300]
    return "no log"
