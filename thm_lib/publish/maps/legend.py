"""Legend and attribution as plain HTML/CSS Leaflet controls.

Hand-written on purpose: branca's colormap legend loads d3 from a CDN and
therefore stays blank offline; these controls need only Leaflet.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from branca.element import MacroElement
from jinja2 import Template

from thm_lib.disclosure.suppression import small_label
from thm_lib.publish.maps.measure import MISSING_COLOR, MISSING_TEXT, SUPPRESSED_COLOR

LEGEND_CSS = """
.leaflet-container { background: #ffffff; }
.thm-legende { background: rgba(255,255,255,0.92); padding: 6px 8px; font: 12px/1.35 sans-serif;
  border-radius: 4px; box-shadow: 0 0 4px rgba(0,0,0,0.35); max-width: 260px; }
.thm-legende h4 { margin: 0 0 4px 0; font-size: 13px; }
.thm-legende .eintrag { display: flex; align-items: center; margin: 1px 0; }
.thm-legende .feld { width: 16px; height: 12px; margin-right: 6px; border: 1px solid #777;
  flex: none; }
.thm-legende .punkt { width: 10px; height: 10px; margin: 0 9px 0 3px; border-radius: 50%;
  border: 1px solid #333; flex: none; }
.thm-popup th { text-align: left; padding-right: 6px; }
.thm-legende .hinweis { margin-top: 4px; color: #555; font-size: 11px; }
"""


def legend_entries(
    classes: list[tuple[str, str]],
    *,
    any_suppressed: bool,
    any_missing: bool,
    threshold: int,
    symbol: str,
    weitere: Sequence[tuple[int, str]] = (),
) -> list[tuple[str, str]]:
    """Return ``(colour, German label)`` pairs: the classes, then the suppression and
    "keine Angabe" entries where needed (``threshold`` and ``symbol`` from
    ``annahmen.datenschutz``, as in the tables; ``weitere``: the thresholds and symbols
    of other areas on the same map, e.g. Kreise of a Land with their own settings)."""
    entries = list(classes)
    if any_suppressed:
        paare = list(dict.fromkeys([(threshold, symbol), *weitere]))
        zeichen = ", ".join(f"{small_label(t)} oder „{s}“" for t, s in paare)
        entries.append((SUPPRESSED_COLOR, f"{zeichen}: aus Datenschutzgründen nicht gezeigt"))
    if any_missing:
        entries.append((MISSING_COLOR, MISSING_TEXT))
    return entries


def legend_html(
    title: str,
    entries: list[tuple[str, str]],
    points: list[tuple[str, str]] | None = None,
    note: str | None = None,
) -> str:
    """Build the legend's inner HTML (all text escaped)."""
    parts = [f"<h4>{html.escape(title)}</h4>"]
    for color, label in entries:
        parts.append(
            f'<div class="eintrag"><span class="feld" style="background:{color}">'
            f"</span>{html.escape(label)}</div>"
        )
    if points:
        parts.append("<h4 style='margin-top:6px'>Angebote nach Handlungsfeld</h4>")
        for color, label in points:
            parts.append(
                f'<div class="eintrag"><span class="punkt" style="background:{color}">'
                f"</span>{html.escape(label)}</div>"
            )
    if note:
        parts.append(f'<div class="hinweis">{html.escape(note)}</div>')
    return "".join(parts)


class Legend(MacroElement):
    """A Leaflet control holding the given HTML (bottom right)."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
            <style>{{ this.css }}</style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.control({position: {{ this.position|tojson }}});
            {{ this.get_name() }}.onAdd = function () {
                var div = L.DomUtil.create("div", "thm-legende");
                div.innerHTML = {{ this.inner|tojson }};
                L.DomEvent.disableClickPropagation(div);
                return div;
            };
            {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, inner_html: str, position: str = "bottomright") -> None:
        super().__init__()
        self._name = "Legend"
        self.inner = inner_html
        self.position = position
        self.css = LEGEND_CSS


class Attribution(MacroElement):
    """Adds a source note (e.g. "Gebiete: © GeoBasis-DE / BKG") to Leaflet's attribution."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            if ({{ this._parent.get_name() }}.attributionControl) {
                {{ this._parent.get_name() }}.attributionControl.addAttribution(
                    {{ this.text|tojson }});
            }
        {% endmacro %}
        """
    )

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "Attribution"
        self.text = html.escape(text)


class MetricScale(MacroElement):
    """Leaflet's scale bar in kilometres only (folium's ``control_scale`` adds miles too)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            L.control.scale({imperial: false, position: "bottomleft"})
                .addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "MetricScale"
