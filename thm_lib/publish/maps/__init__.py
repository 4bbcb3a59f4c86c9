"""Maps of target group, offers and gaps: interactive (folium, offline) and static (PNG).

Draws results of the analysis modules; computes nothing new. See ``docs/karten.md``.
"""

from thm_lib.publish.maps.geometry import simplify_coverage
from thm_lib.publish.maps.interactive import kreis_map, offer_popup_html
from thm_lib.publish.maps.measure import (
    Measure,
    classify,
    count_measure,
    coverage_measure,
    gap_class_measure,
    rate_measure,
    reach_measure,
)
from thm_lib.publish.maps.offline import OfflineMap, map_html, save_map
from thm_lib.publish.maps.static import save_static_map, static_map

__all__ = [
    "Measure",
    "OfflineMap",
    "classify",
    "count_measure",
    "coverage_measure",
    "gap_class_measure",
    "kreis_map",
    "map_html",
    "offer_popup_html",
    "rate_measure",
    "reach_measure",
    "save_map",
    "save_static_map",
    "simplify_coverage",
    "static_map",
]
