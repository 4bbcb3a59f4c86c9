"""The Voilà application behind ``thm app``: Voilà 0.5 with the THM guards.

``thm app`` starts this module as a child process
(``python -m thm_lib.apps.voila_server NOTEBOOKS [options]``). It is Voilà's
own application (:class:`voila.app.Voila`) with a different set of URL
handlers; Voilà renders and runs the apps unchanged. What it adds:

- A German start page at ``/`` listing the apps (instead of Voilà's file tree);
  only the app pages and the files they load are served, every other path
  answers 404 (German page), also paths with ``..``.
- A Host-header allowlist (default: the loopback names).
- Kernels only for render requests that carry the session cookie (a signed
  cookie the server set before); a first request without one is redirected once
  so a browser gets the cookie, a bare ``curl`` starts no kernel.
- A kernel cap: at the cap a render request gets a German waiting page that
  retries by itself (HTTP 503 with ``Retry-After``), never an error.
- A real XSRF check: the token is an HMAC of the session with the server's
  secret (a self-made cookie/header pair does not pass). The render page
  receives it as the ``_xsrf`` cookie, which Voilà's page sends when it is
  closed, so the kernel of a closed page is shut down. A kernel can only be
  shut down, queried or connected to by the session it was started for.
- Warm kernels: a prepared process (:mod:`thm_lib.apps.kernel_vorrat`) forks
  each app kernel with pandas, geopandas, ipywidgets and the apps already
  imported (``--ThmVoila.kernel_vorrat=False`` starts kernels the usual way).

Why a subclass and not a proxy in front: the guards need Voilà's kernel
manager (kernel count, kernel owner) and the signed session cookie; a proxy
would have to duplicate the websocket plumbing. See ``docs/apps.md``.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import hmac
import inspect
import os
import re
import sys
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import jinja2
from jupyter_server.base.handlers import APIHandler, FileFindHandler, JupyterHandler
from jupyter_server.services.kernels.handlers import KernelHandler
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from jupyter_server.utils import url_path_join
from tornado import web
from traitlets import Bool, Integer, List, Unicode, default
from voila.app import Voila
from voila.request_info_handler import RequestInfoSocketHandler
from voila.shutdown_kernel_handler import VoilaShutdownKernelHandler
from voila.static_file_handler import MultiStaticFileHandler, TemplateStaticFileHandler
from voila.tornado.handler import TornadoVoilaHandler
from voila.tornado.kernel_websocket_handler import VoilaKernelWebsocketHandler
from voila.tornado.treehandler import TornadoVoilaTreeHandler

from thm_lib.apps import kernel_vorrat
from thm_lib.core import paths
from thm_lib.publish.maps.offline import leaflet_ordner

try:  # jupyterlab_server provides the themes handler Voilà uses
    from jupyterlab_server.themes_handler import ThemesHandler
except ImportError:  # pragma: no cover - always installed with voila
    ThemesHandler = None  # type: ignore[assignment,misc]

SEITEN = paths.APP_PAGES
"""German pages of the server (start, waiting, errors) as Jinja templates."""
JUPYTER_DATA = paths.APP_JUPYTER_DATA
"""Jupyter data directory with the Voilà template ``thm`` (German loading text)."""
TEMPLATE = "thm"
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
"""Host names accepted by default (the server listens on 127.0.0.1 only)."""
MB_PER_KERNEL = 250
"""Memory budget per app kernel: an Übersicht kernel after a viewer chose every Kommune ×
Handlungsfeld and planned sites in every field holds 177 MB RSS from the kernel Vorrat,
216 MB without it (``benchmarks/bench_apps.py --wachstum``, docs/performance.md)."""
MEMORY_SHARE = 0.5
"""Share of the machine's memory the app kernels may use by default."""
RETRY_S = 5
"""Seconds after which the waiting page tries again."""
START_WAIT_S = 30.0
"""Seconds a render request waits on the server for a start slot before the waiting page."""

APPS: dict[str, tuple[str, str]] = {
    "uebersicht.ipynb": (
        "Übersicht",
        "Zielgruppe, Angebote und Versorgungslücken je Kommune und Handlungsfeld, "
        "mit Karte und Versorgungsgrad je Gemeinde.",
    ),
    "angebotsfinder.ipynb": (
        "Angebotsfinder",
        "Welche Angebote einem Profil (Status, Alter, Gemeinde, Handlungsfeld) offenstehen, "
        "nach Weg sortiert, und warum die anderen nicht.",
    ),
    "stellen_und_foerderung.ipynb": (
        "Stellen und Förderung",
        "Stellenbedarf nach FAQ-Regel, Fallzahl und Arbeitszeit mit Finanzierungsplan, "
        "Szenarien zum Vergleichen und Excel-Download.",
    ),
}
"""The apps (notebook name → German title and one sentence), in start-page order."""

_RESERVATION: contextvars.ContextVar[_Reservation | None] = contextvars.ContextVar(
    "thm_reservation", default=None
)


# --------------------------------------------------------------------------- pure rules


def kernel_cap_default(
    total_bytes: int | None = None, mb_per_kernel: int = MB_PER_KERNEL, share: float = MEMORY_SHARE
) -> int:
    """Default kernel cap: ``share`` of the machine's memory / memory per kernel (at least 1).

    Parameters
    ----------
    total_bytes : int, optional
        Physical memory in bytes (default: this machine's).
    mb_per_kernel : int
        Memory budget of one app kernel in MB.
    share : float
        Share of the memory the kernels may use.

    Returns
    -------
    int
        The cap, e.g. 49 on a 24 GB machine with the defaults.
    """
    if total_bytes is None:
        total_bytes = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return max(1, int(total_bytes * share // (mb_per_kernel * 1024 * 1024)))


def host_name(host_header: str) -> str:
    """The host name of a ``Host`` header: lower case, without port and IPv6 brackets."""
    host = host_header.strip().lower()
    if host.startswith("["):
        host = host[1:].split("]", 1)[0]
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.rstrip(".")


def host_allowed(host_header: str, allowed: Iterable[str]) -> bool:
    """Whether the ``Host`` header names one of the ``allowed`` hosts (port ignored)."""
    return host_name(host_header) in {host_name(a) for a in allowed}


def path_escapes(path: str) -> bool:
    """Whether a URL path has ``.``/``..`` segments or backslashes (raw or percent-encoded)."""
    for candidate in (path, unquote(path)):
        if "\\" in candidate or "\x00" in candidate:
            return True
        if any(seg in (".", "..") for seg in candidate.split("/")):
            return True
    return False


def xsrf_token(secret: bytes, session: str) -> str:
    """The XSRF token of a session: HMAC-SHA256 of the session id with the server secret."""
    return hmac.new(secret, b"thm-xsrf:" + session.encode("utf-8"), hashlib.sha256).hexdigest()


# --------------------------------------------------------------------------- kernel slots


@dataclass
class _Reservation:
    """One admitted render request: a kernel slot until its kernel exists, a start slot
    until the page is rendered."""

    slots: KernelSlots
    session: str
    done: bool = False
    finished: bool = False

    def release(self) -> None:
        """The kernel exists (or will not): it counts as running from now on."""
        if not self.done:
            self.done = True
            self.slots.pending -= 1

    def finish(self) -> None:
        """The page is rendered (or the request ended): the start slot is free."""
        self.release()
        if not self.finished:
            self.finished = True
            self.slots.rendering -= 1
            self.slots.wake_one()


@dataclass
class KernelSlots:
    """Admission of render requests under the kernel cap and the start cap.

    ``occupied`` = running kernels + admitted requests whose kernel is not started
    yet; at most ``cap``. ``rendering`` = admitted requests whose page is not yet
    rendered (kernel start, imports, notebook run); at most ``start_cap``: on two
    cores, 30 kernels started at once each took over a minute and Voilà gave up on
    some of them (a page without its app); admitted a few at a time, each starts in
    seconds. A request that finds only the start slots taken waits for one on the
    server (:meth:`reserve_waiting`, a page renders in well under a second with
    the kernel Vorrat); at the kernel cap it gets the waiting page at once.
    Tornado runs handlers on one thread, so check-and-reserve is atomic.
    """

    cap: int
    start_cap: int = 4
    pending: int = 0
    rendering: int = 0
    owners: dict[str, str] = field(default_factory=dict)
    waiting: deque[asyncio.Future[None]] = field(default_factory=deque)

    def occupied(self, kernel_manager: Any) -> int:
        """Kernels running or being started."""
        return len(kernel_manager.list_kernel_ids()) + self.pending

    def reserve(self, kernel_manager: Any, session: str) -> _Reservation | None:
        """A slot for a new kernel, or None at the cap."""
        if self.occupied(kernel_manager) >= self.cap or self.rendering >= self.start_cap:
            return None
        self.pending += 1
        self.rendering += 1
        return _Reservation(self, session)

    async def reserve_waiting(
        self,
        kernel_manager: Any,
        session: str,
        timeout: float,
        gone: asyncio.Event | None = None,
    ) -> _Reservation | None:
        """A slot for a new kernel; waits up to ``timeout`` s while only start slots are taken.

        None at the kernel cap (at once), when no start slot became free in time, or
        as soon as ``gone`` is set (the browser closed the connection: no kernel for
        a page nobody will see). A new request queues behind requests already
        waiting; a freed start slot wakes the longest-waiting one (:meth:`wake_one`).
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        gone = gone or asyncio.Event()
        woken = False
        while not gone.is_set():
            if self.occupied(kernel_manager) >= self.cap:
                break
            if woken or not self.waiting:
                res = self.reserve(kernel_manager, session)
                if res is not None:
                    return res
            rest = deadline - loop.time()
            if rest <= 0:
                break
            turn: asyncio.Future[None] = loop.create_future()
            self.waiting.append(turn)
            weg = asyncio.ensure_future(gone.wait())
            try:
                await asyncio.wait({turn, weg}, timeout=rest, return_when=asyncio.FIRST_COMPLETED)
            finally:
                weg.cancel()
                if turn in self.waiting:
                    self.waiting.remove(turn)
            if not turn.done():  # timed out, or the browser has gone
                turn.cancel()
                break
            woken = True
        if woken:
            self.wake_one()  # the slot this request was woken for goes to the next one
        return None

    def wake_one(self) -> None:
        """A start slot became free: the longest-waiting request tries again."""
        while self.waiting:
            turn = self.waiting.popleft()
            if not turn.done():
                turn.set_result(None)
                return


class ThmKernelManager(AsyncMappingKernelManager):
    """Kernel manager that records which session a kernel was started for."""

    async def start_kernel(self, *args: Any, **kwargs: Any) -> str:
        """Start a kernel; a render request's reservation becomes the kernel's owner."""
        res = _RESERVATION.get()
        try:
            kernel_id = await super().start_kernel(*args, **kwargs)
        finally:
            if res is not None:
                res.release()
        if res is not None:
            res.slots.owners[kernel_id] = res.session
        return kernel_id

    async def shutdown_kernel(self, kernel_id: str, *args: Any, **kwargs: Any) -> None:
        """Shut a kernel down and forget its owner."""
        try:
            await super().shutdown_kernel(kernel_id, *args, **kwargs)
        finally:
            slots = getattr(self, "thm_slots", None)
            if slots is not None:
                slots.owners.pop(kernel_id, None)


# --------------------------------------------------------------------------- pages

_PAGES = jinja2.Environment(loader=jinja2.FileSystemLoader(SEITEN), autoescape=True)


def render_page(name: str, **values: Any) -> str:
    """A German server page (``seiten/<name>.html``) filled with ``values``."""
    return _PAGES.get_template(f"{name}.html").render(**values)


ERROR_TEXT = {
    400: ("Ungültige Anfrage", "Die Anfrage konnte nicht verarbeitet werden."),
    403: ("Zugriff verweigert", "Diese Anfrage ist nicht erlaubt."),
    404: (
        "Seite nicht gefunden",
        "Diese Adresse gibt es hier nicht. Die Apps stehen auf der Startseite.",
    ),
    405: ("Nicht erlaubt", "Diese Art von Anfrage ist hier nicht erlaubt."),
}


# --------------------------------------------------------------------------- handlers


class Guard:
    """Mixin for every handler: Host allowlist, no path escapes, German errors, THM XSRF."""

    owner_checked = False
    """Subclasses set True: the URL's kernel id is a kernel only its owner may use."""
    thm_refused = False
    """Set when the Host check refused the request (its 403 stays a 403)."""

    @property
    def thm(self) -> ThmState:
        return self.settings["thm"]  # type: ignore[attr-defined]

    async def prepare(self) -> None:
        request = self.request  # type: ignore[attr-defined]
        if not host_allowed(request.host, self.thm.allowed_hosts):
            self.thm_refused = True
            raise web.HTTPError(403, "Host nicht erlaubt: %s", request.host)
        if path_escapes(request.path):
            raise web.HTTPError(404)
        result = super().prepare()  # type: ignore[misc]
        if inspect.isawaitable(result):
            await result
        if self.owner_checked:
            self.check_owner(self.kernel_id_arg())

    def kernel_id_arg(self) -> str:
        """The kernel id of the URL (named group ``kernel_id`` or the first group)."""
        kwargs = self.path_kwargs  # type: ignore[attr-defined]
        return kwargs.get("kernel_id") or self.path_args[0]  # type: ignore[attr-defined]

    def session_id(self) -> str | None:
        """The session (the user id of the signed login cookie), or None."""
        user = getattr(self, "_jupyter_current_user", None)
        return getattr(user, "username", None) if user is not None else None

    def check_owner(self, kernel_id: str) -> None:
        """404 unless the kernel was started for this session (pool kernels: no owner)."""
        owner = self.thm.slots.owners.get(kernel_id)
        if owner is not None and owner != self.session_id():
            raise web.HTTPError(404)

    @property
    def xsrf_token(self) -> bytes:
        session = self.session_id() or ""
        return xsrf_token(self.thm.secret, session).encode("ascii")

    def check_xsrf_cookie(self) -> None:
        """Accept a state-changing request only with the session's own token."""
        if not hasattr(self, "_jupyter_current_user"):
            return  # tornado calls this before prepare(); checked again in prepare()
        token = (
            self.get_argument("_xsrf", None)  # type: ignore[attr-defined]
            or self.request.headers.get("X-Xsrftoken")  # type: ignore[attr-defined]
            or self.request.headers.get("X-Csrftoken")
        )  # type: ignore[attr-defined]
        session = self.session_id()
        if (
            not token
            or not session
            or not hmac.compare_digest(token, xsrf_token(self.thm.secret, session))
        ):
            raise web.HTTPError(403, "XSRF-Prüfung fehlgeschlagen")

    def send_error(self, status_code: int = 500, **kwargs: Any) -> None:
        # A static file handler answers a path it cannot map with 403 (outside its
        # folders) or 500 (Voilà's template files, malformed path): to a viewer that is
        # simply a path that does not exist.
        if (
            isinstance(self, web.StaticFileHandler)
            and status_code in (403, 500)
            and not self.thm_refused
        ):
            status_code, kwargs = 404, {}
        super().send_error(status_code, **kwargs)  # type: ignore[misc]

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        if isinstance(self, APIHandler):
            return super().write_error(status_code, **kwargs)  # type: ignore[misc]
        titel, text = ERROR_TEXT.get(
            status_code, ("Fehler", "Bei dieser Anfrage ist ein Fehler aufgetreten.")
        )
        self.set_header("Content-Type", "text/html; charset=UTF-8")  # type: ignore[attr-defined]
        self.finish(
            render_page(  # type: ignore[attr-defined]
                "fehler", titel=titel, text=text, status=status_code, start=self.thm.base_url
            )
        )


def guarded(cls: type) -> type:
    """``cls`` with the :class:`Guard` checks in front."""
    return type(f"Thm{cls.__name__}", (Guard, cls), {})


class LeafletHandler(Guard, web.StaticFileHandler):
    """Leaflet's script, stylesheet and images for the app maps (cacheable for a day).

    Served at :data:`thm_lib.core.paths.LEAFLET_URL` from the installed
    ``xstatic-leaflet``. A map of an app links it (:func:`thm_lib.apps.common.
    leaflet_verlinken`) instead of carrying 0.15 MB of it inline in every ``srcdoc``:
    the browser loads and compiles it once, and a change of Kommune sends a fraction
    of the bytes.
    """

    def set_extra_headers(self, path: str) -> None:
        self.set_header("Cache-Control", "max-age=86400")


class NotFoundHandler(Guard, web.RequestHandler):
    """Every path that is not an app page or one of its files: 404 (any method)."""

    async def prepare(self) -> None:
        if not host_allowed(self.request.host, self.thm.allowed_hosts):
            raise web.HTTPError(403, "Host nicht erlaubt: %s", self.request.host)
        raise web.HTTPError(404)

    def check_xsrf_cookie(self) -> None:
        return  # answered 404 in prepare() anyway


class StartHandler(Guard, JupyterHandler):
    """The German start page listing the apps."""

    @web.authenticated
    def get(self) -> None:
        apps = [
            (
                url_path_join(self.base_url, "voila/render", nb),
                *APPS.get(nb, (nb.removesuffix(".ipynb"), "")),
            )
            for nb in self.thm.apps
        ]
        self.set_header("Cache-Control", "no-store")
        self.finish(render_page("start", apps=apps))


class RenderHandler(Guard, TornadoVoilaHandler):
    """Render an app: only with the session cookie, only below the kernel cap."""

    @web.authenticated
    async def get(self, path: str | None = None) -> None:
        has_cookie = self.identity_provider.get_user_cookie(self)
        if inspect.isawaitable(has_cookie):
            has_cookie = await has_cookie
        if has_cookie is None:
            self._no_session()
            return
        session = self.session_id() or ""
        self._gone = asyncio.Event()
        res = await self.thm.slots.reserve_waiting(
            self.kernel_manager, session, self.thm.start_wait_s, self._gone
        )
        if self._gone.is_set():  # the browser has gone while the request waited
            if res is not None:
                res.finish()
            return
        if res is None:
            self.set_status(503)
            self.set_header("Retry-After", str(self.thm.retry_s))
            self.set_header("Cache-Control", "no-store")
            self.finish(
                render_page(
                    "warten",
                    sekunden=self.thm.retry_s,
                    cap=self.thm.slots.cap,
                    titel=APPS.get(path or "", ("App", ""))[0],
                )
            )
            return
        token = _RESERVATION.set(res)
        try:
            self.set_cookie(
                "_xsrf",
                xsrf_token(self.thm.secret, session),
                path=self.base_url,
                samesite="Strict",
                secure=self.request.protocol == "https",
            )
            async for html in self.get_generator(path=path):
                self.write(html)
                self.flush()
        finally:
            _RESERVATION.reset(token)
            res.finish()

    def on_connection_close(self) -> None:
        """The browser closed the connection: a request still waiting for a slot stops."""
        gone = getattr(self, "_gone", None)
        if gone is not None:
            gone.set()
        super().on_connection_close()

    def _no_session(self) -> None:
        """First request without the session cookie: no kernel; redirect once to get it."""
        if self.get_argument("sitzung", None) is None:
            sep = "&" if self.request.query else "?"
            self.redirect(self.request.uri + sep + "sitzung=1")
            return
        self.set_status(403)
        self.finish(
            render_page(
                "fehler",
                titel="Cookie erforderlich",
                status=403,
                start=self.thm.base_url,
                text="Die Apps brauchen ein Sitzungs-Cookie dieses Servers. "
                "Bitte Cookies für diese Seite erlauben und neu laden.",
            )
        )


class ShutdownHandler(Guard, APIHandler):
    """Shut down the kernel of a closed page (Voilà's page sends it on ``beforeunload``)."""

    owner_checked = True

    @web.authenticated
    async def post(self, kernel_id: str) -> None:
        if kernel_id not in self.thm.slots.owners:
            raise web.HTTPError(404)
        await self.kernel_manager.shutdown_kernel(kernel_id)
        self.set_status(204)
        self.finish()


class OwnKernelHandler(Guard, KernelHandler):
    """Kernel model (GET) for the page that owns the kernel."""

    owner_checked = True


class OwnKernelWebsocketHandler(Guard, VoilaKernelWebsocketHandler):
    """Kernel websocket for the page that owns the kernel."""

    owner_checked = True


# --------------------------------------------------------------------------- application


@dataclass
class ThmState:
    """Server-wide state the handlers share (``settings["thm"]``)."""

    allowed_hosts: tuple[str, ...]
    slots: KernelSlots
    secret: bytes
    apps: tuple[str, ...]
    base_url: str = "/"
    retry_s: int = RETRY_S
    start_wait_s: float = START_WAIT_S


class ThmVoila(Voila):
    """Voilà with the THM start page, guards, kernel cap and XSRF check."""

    name = "thm-voila"
    allowed_hosts = List(
        Unicode(), default_value=list(LOOPBACK_HOSTS), help="Erlaubte Host-Namen (Host-Header)."
    ).tag(config=True)
    kernel_cap = Integer(help="Höchstzahl gleichzeitiger App-Kernel.").tag(config=True)
    kernel_start_cap = Integer(
        help="Höchstzahl gleichzeitig startender App-Seiten (Standard: 2 je CPU-Kern)."
    ).tag(config=True)
    retry_seconds = Integer(RETRY_S, help="Sekunden bis zum neuen Versuch der Warteseite.").tag(
        config=True
    )
    kernel_vorrat = Bool(
        sys.platform.startswith("linux"),
        help="App-Kernel aus einem vorgewärmten Prozess forken (thm_lib.apps.kernel_vorrat).",
    ).tag(config=True)

    @default("kernel_cap")
    def _kernel_cap_default(self) -> int:
        return kernel_cap_default()

    @default("kernel_start_cap")
    def _kernel_start_cap_default(self) -> int:
        return 2 * (os.cpu_count() or 1)

    def served_notebooks(self) -> tuple[str, ...]:
        """The notebooks of the served folder (top level): the apps first, in their order."""
        found = {p.name for p in Path(self.root_dir).glob("*.ipynb")}
        return tuple(nb for nb in APPS if nb in found) + tuple(sorted(found - set(APPS)))

    def init_settings(self) -> dict[str, Any]:
        self.voila_configuration.multi_kernel_manager_class = ThmKernelManager
        if self.kernel_vorrat:
            _vorrat_starten()
        settings = super().init_settings()
        apps = self.served_notebooks()
        slots = KernelSlots(
            cap=max(1, int(self.kernel_cap)), start_cap=max(1, int(self.kernel_start_cap))
        )
        self.kernel_manager.thm_slots = slots
        if hasattr(self.kernel_manager, "get_rendered_notebook"):
            _own_pool_kernels(self.kernel_manager, slots)
        secret = self.cookie_secret
        settings["thm"] = ThmState(
            allowed_hosts=tuple(self.allowed_hosts),
            slots=slots,
            secret=secret if isinstance(secret, bytes) else str(secret).encode(),
            apps=apps,
            base_url=self.base_url,
            retry_s=int(self.retry_seconds),
        )
        settings["default_handler_class"] = NotFoundHandler
        return settings

    def init_handlers(self) -> list[tuple[Any, ...]]:
        return thm_handlers(super().init_handlers(), self.server_url, self.served_notebooks())


def _own_pool_kernels(kernel_manager: Any, slots: KernelSlots) -> None:
    """With ``--preheat_kernel``: a pool kernel handed to a page belongs to its session.

    Voilà's preheating manager is a subclass generated around the configured class,
    so its ``get_rendered_notebook`` cannot be overridden there; it is wrapped on the
    instance instead.
    """
    original = kernel_manager.get_rendered_notebook

    async def owned(*args: Any, **kwargs: Any) -> Any:
        render_task, rendered, kernel_id = await original(*args, **kwargs)
        res = _RESERVATION.get()
        if res is not None:
            slots.owners[kernel_id] = res.session
        return render_task, rendered, kernel_id

    kernel_manager.get_rendered_notebook = owned


_KEEP = tuple(
    c
    for c in (MultiStaticFileHandler, FileFindHandler, RequestInfoSocketHandler, ThemesHandler)
    if c is not None
)
_REPLACE = {
    KernelHandler: OwnKernelHandler,
    VoilaKernelWebsocketHandler: OwnKernelWebsocketHandler,
    VoilaShutdownKernelHandler: ShutdownHandler,
}


def thm_handlers(
    voila_handlers: Sequence[tuple[Any, ...]], server_url: str, apps: Sequence[str]
) -> list[tuple[Any, ...]]:
    """Voilà's URL handlers reduced to what the apps need, each guarded, plus the THM pages.

    Dropped: the file tree, the contents API, ``/voila/files``, login/logout and
    any other Voilà handler not needed to show an app.
    """
    out: list[tuple[Any, ...]] = [
        (server_url, StartHandler),
        (
            url_path_join(
                server_url, paths.LEAFLET_URL, r"(leaflet\.js|leaflet\.css|images/[\w-]+\.png)"
            ),
            LeafletHandler,
            {"path": str(leaflet_ordner())},
        ),
    ]
    names = "|".join(re.escape(nb) for nb in apps)
    for spec in voila_handlers:
        pattern, cls, *rest = spec
        if cls in _REPLACE:
            out.append((pattern, _REPLACE[cls], *rest))
        elif cls is TemplateStaticFileHandler:
            out.append(
                (
                    url_path_join(server_url, r"/voila/templates/([\w-]+/static/.+)"),
                    guarded(cls),
                    *rest,
                )
            )
        elif cls is TornadoVoilaHandler and apps:
            out.append(
                (url_path_join(server_url, rf"/voila/render/({names})"), RenderHandler, *rest)
            )
        elif cls in _KEEP:
            out.append((pattern, guarded(cls), *rest))
        elif cls is TornadoVoilaTreeHandler:
            continue
    out.append((r".*", NotFoundHandler))
    return out


def _vorrat_starten() -> None:
    """Start the kernel Vorrat and make its provisioner the default of this server.

    The Vorrat ends by itself when this process ends (it watches its parent);
    its socket folder is removed at exit.
    """
    import atexit
    import shutil
    import tempfile

    from jupyter_client.provisioning import KernelProvisionerFactory

    ordner = tempfile.mkdtemp(prefix="thm-vorrat-")
    proc, pfad = kernel_vorrat.starten(ordner)
    os.environ[kernel_vorrat.VORRAT_ENV] = pfad
    os.environ[kernel_vorrat.VORRAT_PID_ENV] = str(proc.pid)
    KernelProvisionerFactory.instance().default_provisioner_name = "thm-vorrat"

    def beenden() -> None:
        proc.terminate()
        shutil.rmtree(ordner, ignore_errors=True)

    atexit.register(beenden)


def main(argv: list[str] | None = None) -> None:
    """Run the THM Voilà server (command line as ``voila``)."""
    ThmVoila.launch_instance(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
