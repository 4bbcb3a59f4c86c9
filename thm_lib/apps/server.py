"""``thm app``: serve the apps with Voilà on the loopback interface only.

Voilà (with the THM guards of :mod:`thm_lib.apps.voila_server`) runs as a child
process with sources stripped and tracebacks hidden. The app kernels read only
the apps' bundle (:mod:`thm_lib.apps.daten`, ``$THM_APP_BUENDEL``): ``thm app``
builds it from the Arbeitsmappe first, in a process of its own, and a data
error is reported there, on this console; the Voilà process and its kernels
are not told where the Arbeitsmappe is. Publishing beyond this machine needs an
authenticating front (JupyterHub or a reverse proxy with login); see
``docs/apps.md``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import webbrowser
from collections.abc import Iterator
from pathlib import Path

import psutil
from filelock import FileLock, Timeout

from thm_lib.apps import daten
from thm_lib.apps.voila_server import APPS as APP_TEXTS
from thm_lib.apps.voila_server import JUPYTER_DATA, LOOPBACK_HOSTS, MB_PER_KERNEL, TEMPLATE
from thm_lib.core import paths

ENV_ARBEITSMAPPE = "THM_ARBEITSMAPPE"
"""Environment variable naming the Arbeitsmappe ``thm app`` builds the bundle from."""
NOTEBOOKS = paths.APP_NOTEBOOKS
"""The app notebooks served by ``thm app``."""
HOST = "127.0.0.1"
DEFAULT_PORT = 8866
APPS = tuple(APP_TEXTS)
START_TIMEOUT_S = 60.0
CULL_IDLE_S = 45
"""Unconnected kernels idle this long are shut down (pages closed without the shutdown call)."""
CULL_INTERVAL_S = 10
VORHEIZEN_RESERVE = 4
"""Preheating is the default when free memory holds this many pools of one kernel per app."""


def vorheizen_default(
    available_bytes: int | None = None,
    apps: int = len(APPS),
    mb_per_kernel: int = MB_PER_KERNEL,
    reserve: int = VORHEIZEN_RESERVE,
) -> bool:
    """Whether ``thm app`` preheats by default: when the memory allows it.

    Preheating keeps one kernel per app ready (``apps`` kernels of about
    ``mb_per_kernel`` MB); it is the default when the free memory holds
    ``reserve`` times that, so the viewers' kernels still fit.

    Parameters
    ----------
    available_bytes : int, optional
        Free memory in bytes (default: this machine's, from psutil).

    Returns
    -------
    bool

    Examples
    --------
    >>> vorheizen_default(16 * 2**30), vorheizen_default(2 * 2**30)
    (True, False)
    """
    if available_bytes is None:
        available_bytes = psutil.virtual_memory().available
    return available_bytes >= reserve * apps * mb_per_kernel * 2**20


def voila_command(
    port: int,
    notebooks: Path = NOTEBOOKS,
    *,
    preheat: bool = False,
    hosts: tuple[str, ...] = (),
    kernel_cap: int | None = None,
) -> list[str]:
    """The Voilà command line: loopback only, no sources, no tracebacks, no browser.

    Parameters
    ----------
    port : int
        TCP port on 127.0.0.1.
    notebooks : Path
        Folder of the app notebooks.
    preheat : bool
        Start one kernel per app in advance.
    hosts : tuple of str
        Host names accepted in the ``Host`` header besides the loopback names
        (e.g. the name a reverse proxy passes on).
    kernel_cap : int, optional
        Most app kernels at once (default: from the machine's memory).
    """
    cmd = [
        sys.executable,
        "-m",
        "thm_lib.apps.voila_server",
        str(notebooks),
        "--no-browser",
        f"--port={port}",
        f"--Voila.ip={HOST}",
        "--Voila.port_retries=0",
        "--strip_sources=True",
        "--show_tracebacks=False",
        f"--template={TEMPLATE}",
        # the app pages are German: <html lang="de"> instead of nbconvert's "en"
        "--VoilaExporter.language_code=de",
        # Pages end their kernel when closed; kernels of pages that could not say so
        # (crash, network) go after a minute at most.
        f"--MappingKernelManager.cull_idle_timeout={CULL_IDLE_S}",
        f"--MappingKernelManager.cull_interval={CULL_INTERVAL_S}",
        "--MappingKernelManager.cull_connected=False",
    ]
    for host in (*LOOPBACK_HOSTS, *hosts):
        cmd.append(f"--ThmVoila.allowed_hosts={host}")
    if kernel_cap is not None:
        cmd.append(f"--ThmVoila.kernel_cap={int(kernel_cap)}")
    if preheat:
        cmd.append("--preheat_kernel=True")
    return cmd


def voila_env(env: dict[str, str]) -> dict[str, str]:
    """``env`` with the THM Voilà template on the Jupyter data path."""
    paths = [str(JUPYTER_DATA)] + [p for p in env.get("JUPYTER_PATH", "").split(os.pathsep) if p]
    return {**env, "JUPYTER_PATH": os.pathsep.join(paths)}


def app_urls(port: int) -> dict[str, str]:
    """The URL of every app, by notebook name."""
    return {nb: f"http://{HOST}:{port}/voila/render/{nb}" for nb in APPS}


def _listening(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_for_port(
    port: int, proc: subprocess.Popen | None = None, timeout: float = START_TIMEOUT_S
) -> bool:
    """Wait until something listens on ``HOST:port`` (False on timeout or if ``proc`` ended)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        if _listening(port):
            return True
        time.sleep(0.1)
    return False


def arbeitsmappe_der_apps(arbeitsmappe: Path | None = None) -> Path:
    """The Arbeitsmappe the apps show: ``arbeitsmappe``, else ``$THM_ARBEITSMAPPE``, else
    the sample Kreis."""
    if arbeitsmappe is not None:
        return Path(arbeitsmappe)
    env = os.environ.get(ENV_ARBEITSMAPPE)
    return Path(env) if env else paths.SAMPLE


def buendel_bereitstellen(arbeitsmappe: Path | None, buendel: Path | None) -> Path | None:
    """The bundle folder the apps will read, built first when needed (or None on an error).

    With only ``buendel``: that folder as it is (an existing bundle). Otherwise the
    bundle of ``arbeitsmappe`` (default: ``$THM_ARBEITSMAPPE``, else the sample
    Kreis) in ``buendel`` (default: :func:`thm_lib.apps.daten.standard_ordner`),
    rebuilt in a separate process when the Arbeitsmappe or the code changed. Errors
    are printed in German to this console. The folder is not kept from being rebuilt
    afterwards; :func:`serve` uses :func:`buendel_gesperrt` for that.
    """
    with buendel_gesperrt(arbeitsmappe, buendel) as ordner:
        return ordner


@contextlib.contextmanager
def buendel_gesperrt(arbeitsmappe: Path | None, buendel: Path | None) -> Iterator[Path | None]:
    """:func:`buendel_bereitstellen`, and no other ``thm app`` rebuilds the folder until
    the block ends.

    The lock on the folder is taken before the bundle is checked and built, and held
    while the block runs (the server's lifetime), so a second ``thm app`` of another
    Arbeitsmappe with the same folder cannot rebuild it in between; one of the same
    state shares it. Checking and building happen one ``thm app`` at a time.
    """
    with contextlib.ExitStack() as halten:
        yield _bereitstellen(arbeitsmappe, buendel, halten)


def _bereitstellen(
    arbeitsmappe: Path | None, buendel: Path | None, halten: contextlib.ExitStack
) -> Path | None:
    if buendel is not None and arbeitsmappe is None:
        if daten.manifest_lesen(buendel) is None:
            print(
                f"Fehler: '{buendel}' enthält kein Datenpaket der Apps. Bitte zusätzlich "
                "--arbeitsmappe angeben; dann wird es dort gebaut.",
                file=sys.stderr,
            )
            return None
        ordner = Path(buendel).resolve()
        _sperre_nehmen(ordner, halten)  # held elsewhere: another server shows it too
        return ordner
    arbeitsmappe = arbeitsmappe_der_apps(arbeitsmappe)
    quelle = Path(arbeitsmappe).resolve()
    if not quelle.is_dir():
        print(f"Fehler: Arbeitsmappe '{arbeitsmappe}' nicht gefunden.", file=sys.stderr)
        return None
    ziel = (Path(buendel) if buendel is not None else daten.standard_ordner(quelle)).resolve()
    with _bausperre(ziel):
        eigen = _sperre_nehmen(ziel, halten)
        if daten.aktuell(ziel, quelle):
            return ziel
        if not eigen:
            print(
                f"Fehler: Das Datenpaket '{ziel}' zeigt gerade ein anderes 'thm app' (eine "
                "andere Arbeitsmappe oder ein anderer Stand); neu gebaut sähen dessen "
                "Betrachter diese Daten. Bitte einen eigenen Ordner wählen (--buendel "
                "ORDNER) oder jenes 'thm app' erst beenden.",
                file=sys.stderr,
            )
            return None
        print(
            f"Datenpaket der Apps wird aus '{arbeitsmappe}' gebaut (einmal je Stand) …", flush=True
        )
        cmd = [sys.executable, "-m", "thm_lib.apps.paket_bauen", str(quelle), str(ziel)]
        if subprocess.run(cmd, check=False).returncode != 0:
            print("Die Apps werden nicht gestartet.", file=sys.stderr)
            return None
    return ziel


def _sperre_nehmen(ordner: Path, halten: contextlib.ExitStack) -> bool:
    """Take the lock of a served bundle if it is free, held until ``halten`` closes."""
    sperre = FileLock(daten.sperrdatei(ordner))
    try:
        sperre.acquire(timeout=0)
    except Timeout:
        return False
    halten.callback(sperre.release)
    return True


@contextlib.contextmanager
def _bausperre(ordner: Path) -> Iterator[None]:
    """One ``thm app`` at a time checks and builds the bundle ``ordner``; a second waits."""
    sperre = FileLock(daten.sperrdatei(ordner).with_suffix(".bau.lock"))
    try:
        sperre.acquire(timeout=0)
    except Timeout:
        print(f"Ein anderes 'thm app' baut gerade '{ordner}'; warte darauf …", flush=True)
        sperre.acquire()
    try:
        yield
    finally:
        sperre.release()


def serve(
    port: int = DEFAULT_PORT,
    arbeitsmappe: Path | None = None,
    open_browser: bool = False,
    *,
    buendel: Path | None = None,
    preheat: bool | None = None,
    hosts: tuple[str, ...] = (),
    kernel_cap: int | None = None,
) -> int:
    """Start Voilà with the apps and wait until it ends (Ctrl+C stops it).

    Parameters
    ----------
    port : int
        TCP port on 127.0.0.1.
    arbeitsmappe : Path, optional
        The Arbeitsmappe the apps show (default: ``$THM_ARBEITSMAPPE`` or the sample Kreis);
        its bundle is built first (:func:`buendel_bereitstellen`).
    open_browser : bool
        Open the start page in the default browser once the server is up.
    buendel : Path, optional
        The bundle folder: alone, an existing bundle to serve; with ``arbeitsmappe``,
        where to build it.
    preheat : bool, optional
        Let Voilà run each app in advance (faster first view, more memory);
        default: when the memory allows it (:func:`vorheizen_default`).
    hosts : tuple of str
        Further accepted ``Host`` names (for a reverse proxy), besides the loopback names.
    kernel_cap : int, optional
        Most app kernels at once; further viewers get a waiting page (default: from memory).

    Returns
    -------
    int
        Exit code (0 after Ctrl+C; Voilà's code if it ended by itself).
    """
    if _listening(port):
        print(f"Fehler: Port {port} ist schon belegt; bitte --port wählen.", file=sys.stderr)
        return 1
    if kernel_cap is not None and kernel_cap < 1:
        print("Fehler: --max-kernel muss mindestens 1 sein.", file=sys.stderr)
        return 2
    with buendel_gesperrt(arbeitsmappe, buendel) as ordner:
        if ordner is None:
            return 2
        return _serve(ordner, port, open_browser, preheat, hosts, kernel_cap)


def _serve(
    ordner: Path,
    port: int,
    open_browser: bool,
    preheat: bool | None,
    hosts: tuple[str, ...],
    kernel_cap: int | None,
) -> int:
    env = {k: v for k, v in os.environ.items() if k != ENV_ARBEITSMAPPE}
    env[daten.ENV_BUENDEL] = str(ordner)
    if preheat is None:
        preheat = vorheizen_default()
        if not preheat:
            print("Hinweis: zu wenig freier Arbeitsspeicher; die Apps werden nicht vorgeheizt.")
    # Same process group as this command: Ctrl+C reaches Voilà too; SIGTERM is turned
    # into the same orderly stop (Voilà then shuts its kernels down).
    proc = subprocess.Popen(
        voila_command(port, preheat=preheat, hosts=hosts, kernel_cap=kernel_cap), env=voila_env(env)
    )
    previous = _on_sigterm_interrupt()
    try:
        if not wait_for_port(port, proc):
            print(f"Fehler: Voilà ist nicht gestartet (Port {port} belegt?).", file=sys.stderr)
            _stop(proc)
            return proc.returncode or 1
        start = f"http://{HOST}:{port}/"
        print(f"THM-Apps laufen unter {start} (nur auf diesem Rechner erreichbar).")
        for nb, url in app_urls(port).items():
            print(f"  {nb.removesuffix('.ipynb')}: {url}")
        if preheat:
            print("Je App hält ein vorab gestarteter Kernel die erste Ansicht bereit.")
        print("Beenden mit Strg+C.", flush=True)
        if open_browser:
            webbrowser.open(start)
        return proc.wait()
    except KeyboardInterrupt:
        print("\nApps werden beendet …", flush=True)
        _stop(proc)
        return 0
    finally:
        if proc.poll() is None:
            _stop(proc)
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _on_sigterm_interrupt() -> object | None:
    """Treat SIGTERM like Ctrl+C (main thread only); return the previous handler."""
    try:
        return signal.signal(signal.SIGTERM, _interrupt)
    except ValueError:  # not the main thread
        return None


def _stop(proc: subprocess.Popen, timeout: float = 15.0) -> None:
    """Stop Voilà (SIGTERM: it shuts its kernels down), then kill it if it hangs."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
