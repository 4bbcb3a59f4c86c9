"""Running things: the thm command line, the batch, the notebooks' helpers.

Start-up: ``nbformat`` (batch, notebooks) imports ``jsonschema``, whose optional
``iri`` format checker imports ``rfc3987_syntax``; that package builds a Lark grammar
at import, 0.8 s of CPU in every process that starts (the command, each batch worker;
python-jsonschema/jsonschema#1392). Nothing here validates ``iri`` formats, so these
processes take it as not installed. The Voilà server of the apps is not affected (it
does not import this package before Jupyter Server).
"""

import sys

sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
