"""Warm app kernels: one prepared Python process forks a ready kernel for each page.

A Voilà page needs a kernel of its own. Started the usual way
(``python -m ipykernel_launcher``) each kernel spends about 1.3 s of CPU on
importing Python, pandas, geopandas, ipywidgets and the app modules before the
app can start, and holds its own copy of them (≈ 120 MB). The *Vorrat* imports
all of that once; for each kernel Jupyter asks for, it forks itself and the
child becomes the kernel (``IPKernelApp`` with the connection file Jupyter
wrote). A child is ready after a few milliseconds and shares the imported
modules' memory with the Vorrat (copy-on-write).

Two sides:

- the Vorrat process, ``python -m thm_lib.apps.kernel_vorrat SOCKET``, started by
  the app server (:func:`starten`); it listens on a Unix socket, single-threaded
  (a fork copies only the calling thread), and ends when the server ends;
- :class:`VorratProvisioner`, a kernel provisioner of ``jupyter_client`` (entry
  point ``thm-vorrat``) in the server: it asks the Vorrat for a kernel and falls
  back to the usual start when there is no Vorrat or the kernel is not an
  ipykernel of this Python.

Written by hand (about 150 lines) because the Jupyter stack has no such
provisioner; forking servers are the classic pattern (e.g. gunicorn's
``preload_app``, Android's zygote).
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

from jupyter_client.connect import KernelConnectionInfo
from jupyter_client.provisioning import LocalProvisioner

#: Environment variable (server side): the socket of the running Vorrat.
VORRAT_ENV = "THM_KERNEL_VORRAT"
#: Environment variable (server side): the Vorrat's process id (not waited for once it ended).
VORRAT_PID_ENV = "THM_KERNEL_VORRAT_PID"
#: Seconds the provisioner waits for a Vorrat that is still importing.
WARTEN_S = 20.0
#: What a kernel of the apps imports; the Vorrat imports it once for all.
VORWAERMEN = (
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.comm",
    "ipywidgets",
    "thm_lib.apps.zeigen",
    "setproctitle",
)
#: Libraries with thread pools are kept to one thread: a fork copies only the calling thread.
EIN_FADEN = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- the Vorrat
def vorwaermen(module: tuple[str, ...] = VORWAERMEN) -> None:
    """Import what every app kernel needs, then freeze the objects for copy-on-write.

    ``gc.freeze`` moves them out of the garbage collector's generations, so a
    collection in a child does not write to (and so copy) the shared pages.
    """
    import importlib

    for name in module:
        importlib.import_module(name)
    gc.collect()
    gc.freeze()


def kernel_argumente(cmd: list[str]) -> list[str] | None:
    """The arguments for ``IPKernelApp`` in a kernel command, or None for another kernel.

    ``[python, "-m", "ipykernel_launcher", "-f", FILE]`` → ``["-f", FILE]``.
    """
    if len(cmd) < 3 or cmd[1:3] != ["-m", "ipykernel_launcher"]:
        return None
    return list(cmd[3:])


def _kernel_werden(auftrag: dict[str, Any], *offen: socket.socket) -> None:
    """In the forked child: become the kernel of ``auftrag`` and never return."""
    code = 1
    try:
        for s in offen:
            s.close()
        os.setsid()
        _mit_vorrat_enden()
        for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        stdin = os.open(os.devnull, os.O_RDONLY)
        os.dup2(stdin, 0)
        os.close(stdin)
        _prozess_titel(auftrag["cmd"])
        os.environ.clear()
        os.environ.update(auftrag["env"])
        os.chdir(auftrag["cwd"])
        sys.argv = list(auftrag["cmd"])
        from ipykernel import kernelapp

        argv = kernel_argumente(auftrag["cmd"]) or []
        if os.environ.get("JPY_PARENT_PID"):  # read by ipykernel at import, i.e. in the Vorrat
            argv.append(f"--IPKernelApp.parent_handle={os.environ['JPY_PARENT_PID']}")
        app = kernelapp.IPKernelApp.instance()
        app.initialize(argv)
        _widgets_anmelden()
        app.start()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    except BaseException:  # noqa: BLE001 - a child must never return into the Vorrat's loop
        traceback.print_exc()
    finally:
        os._exit(code)


def _widgets_anmelden() -> None:
    """Register ipywidgets' comm targets with the kernel that now exists.

    ``import ipywidgets`` registers them only when it runs inside a kernel; in the
    Vorrat it ran before there was one. Without the target
    ``jupyter.widget.control`` the browser falls back to asking for every widget's
    state in a round trip of its own.
    """
    import ipywidgets

    ipywidgets.register_comm_target()


def _mit_vorrat_enden() -> None:
    """Linux: the kernel gets SIGTERM when the Vorrat ends (``PR_SET_PDEATHSIG``).

    ipykernel's own parent check only notices a parent that became PID 1; in a
    container the orphan may go to another reaper.
    """
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, int(signal.SIGTERM), 0, 0, 0)


def _prozess_titel(cmd: list[str]) -> None:
    """Show the child as the kernel it is in ``ps`` (the Vorrat's command line otherwise)."""
    import setproctitle

    setproctitle.setproctitle("ipykernel (THM-Vorrat) " + " ".join(cmd[3:]))


def dienen(pfad: str | os.PathLike[str], eltern: int | None = None) -> None:
    """Answer kernel requests on the Unix socket ``pfad`` until the parent process ends.

    A request is one JSON line ``{"cmd": [...], "env": {...}, "cwd": "..."}``; the
    answer is ``{"pid": N}`` of the forked kernel. Children are reaped by the
    system (``SIGCHLD`` ignored).
    """
    eltern = os.getppid() if eltern is None else eltern
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    ziel = Path(pfad)
    ziel.unlink(missing_ok=True)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    tmp = ziel.with_name(ziel.name + ".tmp")
    tmp.unlink(missing_ok=True)
    server.bind(str(tmp))
    server.listen(64)
    os.replace(tmp, ziel)  # the socket appears only when it accepts
    server.settimeout(1.0)
    while os.getppid() == eltern:
        try:
            conn, _ = server.accept()
        except TimeoutError:
            continue
        with conn:
            conn.settimeout(10.0)
            try:
                auftrag = json.loads(conn.makefile("rb").readline())
            except (OSError, ValueError):
                continue
            pid = os.fork()
            if pid == 0:
                _kernel_werden(auftrag, conn, server)
            conn.sendall(json.dumps({"pid": pid}).encode() + b"\n")
    ziel.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> None:
    """``python -m thm_lib.apps.kernel_vorrat SOCKET``: warm up, then serve kernels."""
    args = sys.argv[1:] if argv is None else argv
    eltern = os.getppid()
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]  # as ipykernel_launcher does; the kernel's shell adds its own back
    for name in EIN_FADEN:
        os.environ.setdefault(name, "1")
    vorwaermen()
    dienen(args[0], eltern)


# --------------------------------------------------------------------------- server side
def starten(ordner: str | os.PathLike[str] | None = None) -> tuple[subprocess.Popen, str]:
    """Start a Vorrat for this server; returns the process and its socket path.

    The caller sets :data:`VORRAT_ENV` to the path (and :data:`VORRAT_PID_ENV` to the
    process id) so that :class:`VorratProvisioner` finds it.
    """
    ordner = Path(ordner or tempfile.mkdtemp(prefix="thm-vorrat-"))
    pfad = str(ordner / "kernel.sock")
    proc = subprocess.Popen([sys.executable, "-m", "thm_lib.apps.kernel_vorrat", pfad])
    return proc, pfad


def anfordern(
    pfad: str, cmd: list[str], env: dict[str, str], cwd: str, vorrat_pid: int | None = None
) -> int:
    """Ask the Vorrat at ``pfad`` for a kernel; returns its pid.

    Waits up to :data:`WARTEN_S` for a Vorrat that is still importing, but not for
    one that has ended (``vorrat_pid``).

    Raises
    ------
    OSError
        When the Vorrat does not answer (the caller starts the kernel the usual way).
    """
    frist = time.monotonic() + WARTEN_S
    while not os.path.exists(pfad):
        if time.monotonic() > frist or (vorrat_pid is not None and not _lebt(vorrat_pid)):
            raise FileNotFoundError(pfad)
        time.sleep(0.05)
    auftrag = json.dumps({"cmd": cmd, "env": env, "cwd": cwd}).encode() + b"\n"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(10.0)
        s.connect(pfad)
        s.sendall(auftrag)
        antwort = s.makefile("rb").readline()
    try:
        return int(json.loads(antwort)["pid"])
    except (ValueError, KeyError, TypeError) as exc:
        raise OSError(f"Kernel-Vorrat antwortet nicht: {antwort!r}") from exc


class GeforkterKernel:
    """What the provisioner needs of a ``Popen`` for a kernel the Vorrat forked.

    The kernel is the Vorrat's child, not the server's: liveness comes from
    ``/proc`` (the Vorrat reaps its children), the exit code is not known (0).
    """

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        """None while the kernel runs, else 0."""
        if self.returncode is None and not _lebt(self.pid):
            self.returncode = 0
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Wait until the kernel has ended."""
        frist = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if frist is not None and time.monotonic() > frist:
                raise subprocess.TimeoutExpired(f"pid {self.pid}", timeout or 0.0)
            time.sleep(0.05)
        return 0

    def send_signal(self, sig: int) -> None:
        """Send ``sig`` to the kernel."""
        os.kill(self.pid, sig)

    def terminate(self) -> None:
        """SIGTERM."""
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL."""
        self.send_signal(signal.SIGKILL)


def _lebt(pid: int) -> bool:
    """True while ``pid`` runs (not ended, not a zombie)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] not in ("Z", "X")


class VorratProvisioner(LocalProvisioner):  # type: ignore[misc]
    """Kernel provisioner: a forked kernel from the Vorrat, else the usual start."""

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> KernelConnectionInfo:
        """Launch the kernel ``cmd`` (forked by the Vorrat where possible)."""
        pfad = os.environ.get(VORRAT_ENV, "")
        gleiches_python = bool(cmd) and os.path.realpath(cmd[0]) == os.path.realpath(sys.executable)
        if pfad and gleiches_python and kernel_argumente(cmd) is not None:
            env = dict(kwargs.get("env") or os.environ)
            env["JPY_PARENT_PID"] = str(os.getpid())  # as jupyter_client's launch_kernel
            cwd = str(kwargs.get("cwd") or os.getcwd())
            vorrat_pid = os.environ.get(VORRAT_PID_ENV)
            try:
                pid = await asyncio.to_thread(
                    anfordern, pfad, list(cmd), env, cwd, int(vorrat_pid) if vorrat_pid else None
                )
            except OSError as exc:
                log.warning("Kernel-Vorrat nicht erreichbar (%s); Kernel wird neu gestartet.", exc)
            else:
                self.process = GeforkterKernel(pid)
                self.pid = self.pgid = pid
                self.cwd = cwd
                return self.connection_info
        return await super().launch_kernel(cmd, **kwargs)


if __name__ == "__main__":
    main()
