"""Warm app kernels forked from the Vorrat (:mod:`thm_lib.apps.kernel_vorrat`).

Real processes throughout: a Vorrat started as the app server starts it, real
ipykernels started through ``jupyter_client`` with the ``thm-vorrat``
provisioner, code executed in them over ZMQ.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from jupyter_client import KernelManager
from jupyter_client.provisioning import KernelProvisionerFactory, LocalProvisioner

from thm_lib.apps import kernel_vorrat
from thm_lib.apps.kernel_vorrat import (
    VORRAT_ENV,
    VORRAT_PID_ENV,
    WARTEN_S,
    GeforkterKernel,
    kernel_argumente,
)

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork: Linux")

PROBE = """
import json, os, sys
print(json.dumps({
    "ppid": os.getppid(),
    "pandas_vorab": "pandas" in sys.modules and "thm_lib.apps.uebersicht" in sys.modules,
    "probe": os.environ.get("THM_PROBE"),
    "cwd": os.getcwd(),
    "comm_ziele": sorted(get_ipython().kernel.comm_manager.targets),
}))
"""


def _warten(bedingung, sekunden: float = 15.0) -> bool:
    frist = time.monotonic() + sekunden
    while not bedingung():
        if time.monotonic() > frist:
            return False
        time.sleep(0.05)
    return True


@pytest.fixture(scope="module")
def vorrat(tmp_path_factory):
    proc, pfad = kernel_vorrat.starten(tmp_path_factory.mktemp("vorrat"))
    assert _warten(lambda: os.path.exists(pfad), 60), "Vorrat hat seinen Socket nicht geöffnet"
    yield proc, pfad
    proc.terminate()
    proc.wait(10)


def _provisioner(monkeypatch, pfad: str | None, pid: int | None = None) -> None:
    """Kernels of this test ask the Vorrat at ``pfad`` (None: no Vorrat), as in the server."""
    if pfad is None:
        monkeypatch.delenv(VORRAT_ENV, raising=False)
    else:
        monkeypatch.setenv(VORRAT_ENV, pfad)
    if pid is not None:
        monkeypatch.setenv(VORRAT_PID_ENV, str(pid))
    monkeypatch.setattr(
        KernelProvisionerFactory.instance(), "default_provisioner_name", "thm-vorrat"
    )


@pytest.fixture
def mit_vorrat(vorrat, monkeypatch):
    """Kernels of this test come from the Vorrat (as in the app server)."""
    _provisioner(monkeypatch, vorrat[1])
    return vorrat[0]


def _starten(cwd: Path, **env: str) -> tuple[KernelManager, object]:
    km = KernelManager(kernel_name="python3")
    km.start_kernel(cwd=str(cwd), env={**os.environ, **env})
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    return km, kc


def _ausfuehren(kc, code: str, timeout: float = 30.0) -> tuple[str, dict]:
    text: list[str] = []

    def ausgabe(msg):
        if msg["msg_type"] == "stream":
            text.append(msg["content"]["text"])

    reply = kc.execute_interactive(code, timeout=timeout, output_hook=ausgabe)
    return "".join(text), reply["content"]


def _beenden(km, kc) -> None:
    kc.stop_channels()
    km.shutdown_kernel(now=True)


def test_kernel_argumente():
    cmd = [sys.executable, "-m", "ipykernel_launcher", "-f", "/tmp/k.json"]
    assert kernel_argumente(cmd) == ["-f", "/tmp/k.json"]
    assert kernel_argumente([sys.executable, "-m", "other_kernel", "-f", "x"]) is None
    assert kernel_argumente(["R", "--slave"]) is None


def test_kernel_ist_geforkt_mit_eigener_umgebung(mit_vorrat, tmp_path):
    km, kc = _starten(tmp_path, THM_PROBE="wert-42")
    try:
        assert isinstance(km.provisioner, LocalProvisioner)
        assert isinstance(km.provisioner.process, GeforkterKernel)
        pid = km.provisioner.pid
        titel = Path(f"/proc/{pid}/cmdline").read_text()
        assert titel.startswith("ipykernel (THM-Vorrat) -f ")  # visible as a kernel in ps
        out, reply = _ausfuehren(kc, PROBE)
        assert reply["status"] == "ok"
        info = json.loads(out)
        assert info["ppid"] == mit_vorrat.pid  # a child of the Vorrat, not a new Python
        assert info["pandas_vorab"] is True  # imported before the first cell ran
        assert info["probe"] == "wert-42"  # the environment Jupyter gave this kernel
        assert info["cwd"] == str(tmp_path)
        # ipywidgets was imported before there was a kernel; its comm targets are
        # registered in the child (without the control target the browser fetches
        # every widget's state in a round trip of its own)
        assert {"jupyter.widget", "jupyter.widget.control"} <= set(info["comm_ziele"])
    finally:
        _beenden(km, kc)
    assert _warten(lambda: not kernel_vorrat._lebt(pid)), "Kernel läuft nach dem Beenden weiter"


def test_kernel_teilen_keinen_zustand(mit_vorrat, tmp_path):
    a, ka = _starten(tmp_path)
    b, kb = _starten(tmp_path)
    try:
        assert a.provisioner.pid != b.provisioner.pid
        assert _ausfuehren(ka, "geheim = 17")[1]["status"] == "ok"
        out, reply = _ausfuehren(kb, "print('geheim' in globals())")
        assert reply["status"] == "ok" and out.strip() == "False"
    finally:
        _beenden(a, ka)
        _beenden(b, kb)


def test_unterbrechen_und_neustart(mit_vorrat, tmp_path):
    km, kc = _starten(tmp_path)
    try:
        kc.execute("import time; time.sleep(120)")
        time.sleep(0.5)
        km.interrupt_kernel()
        reply = kc.get_shell_msg(timeout=20)
        assert reply["content"]["status"] == "error"
        assert reply["content"]["ename"] == "KeyboardInterrupt"
        alt = km.provisioner.pid
        km.restart_kernel(now=True)
        kc.wait_for_ready(timeout=60)
        assert km.provisioner.pid != alt
        assert _warten(lambda: not kernel_vorrat._lebt(alt))
        out, reply = _ausfuehren(kc, "print(1 + 1)")
        assert out.strip() == "2"
    finally:
        _beenden(km, kc)


def test_ohne_vorrat_der_uebliche_start(monkeypatch, tmp_path):
    _provisioner(monkeypatch, None)
    km, kc = _starten(tmp_path)
    try:
        assert isinstance(km.provisioner.process, subprocess.Popen)
        assert "ipykernel_launcher" in Path(f"/proc/{km.provisioner.pid}/cmdline").read_text()
    finally:
        _beenden(km, kc)


def test_ein_beendeter_vorrat_haelt_den_start_nicht_auf(monkeypatch, tmp_path):
    """A Vorrat that ended before opening its socket: the usual start, without waiting."""
    tot = subprocess.Popen([sys.executable, "-c", "pass"])
    tot.wait()
    _provisioner(monkeypatch, str(tmp_path / "kernel.sock"), tot.pid)
    t0 = time.monotonic()
    km, kc = _starten(tmp_path)
    try:
        assert isinstance(km.provisioner.process, subprocess.Popen)
        assert time.monotonic() - t0 < WARTEN_S / 2
    finally:
        _beenden(km, kc)


def test_vorrat_und_kernel_enden_mit_dem_server(tmp_path, monkeypatch):
    """A killed server leaves neither the Vorrat nor its kernels behind."""
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from thm_lib.apps import kernel_vorrat\n"
            f"p, s = kernel_vorrat.starten({str(tmp_path)!r})\n"
            "print(p.pid, s, flush=True)\n"
            "time.sleep(600)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        vorrat_pid, pfad = server.stdout.readline().split()
        assert _warten(lambda: os.path.exists(pfad), 60)
        _provisioner(monkeypatch, pfad)
        km, kc = _starten(tmp_path)
        kernel_pid = km.provisioner.pid
        kc.stop_channels()
        assert kernel_vorrat._lebt(int(vorrat_pid)) and kernel_vorrat._lebt(kernel_pid)
    finally:
        server.kill()
        server.wait(10)
    assert _warten(lambda: not kernel_vorrat._lebt(int(vorrat_pid))), "Vorrat überlebt"
    assert _warten(lambda: not kernel_vorrat._lebt(kernel_pid)), "Kernel überlebt den Vorrat"
