"""Voilà apps for the Bündniskerngruppe (ipywidgets; served by ``thm app``).

- :mod:`thm_lib.apps.uebersicht`: key figures, map, coverage matrix, gaps.
- :mod:`thm_lib.apps.angebotsfinder`: offers open to a profile, and why others are not.
- :mod:`thm_lib.apps.stellen`: staffing estimates and funding plan, scenarios, Excel.
- :mod:`thm_lib.apps.statisch`: Übersicht and Angebotsfinder as static pages (HTML, JS,
  the shown values precomputed), ``thm app --statisch ORDNER``.
- :mod:`thm_lib.apps.server`: start Voilà on the loopback interface.
- :mod:`thm_lib.apps.voila_server`: the Voilà application behind it (German start page,
  404s, Host allowlist, session cookie, kernel cap, session-bound XSRF).

Each app module has ``build(ws)`` (the app object, for tests) and
``show(arbeitsmappe)`` (display in a notebook). Apps show aggregates only,
after small-cell suppression; see ``docs/apps.md``.
"""
