/* In the Übersicht's map frame (an iframe, sandboxed): take the next map as a whole
   folium page from the app page and swap it in, instead of a new frame per selection
   (a new frame loads and compiles Leaflet again). The app page posts
   {thmKarteSeite: page, thmAuswahl: key}; the frame answers {thmKarteBereit: true}
   once it listens and {thmKarteGezeigt: key} after each swap. Pages of
   thm_lib.publish.maps only: their head holds Leaflet and styles, their body the map's
   div and scripts; the kernel sends only pages that need the same scripts and style
   sheets as the frame's first page (else it makes a new frame).
   The scripts of a swapped-in page run together in one function: their names stay
   inside it (folium declares some with `let`, which a second page with the same names,
   a map shown again, could not declare at the top level once more); the map is
   window.thmKarte. */
(function () {
  "use strict";
  if (window.thmKarteTausch) { return; }  // every page carries this script
  window.thmKarteTausch = true;
  var KARTE = /^map_[0-9a-f]+$/;  // folium's name of a map (its div's id and variable)

  function alteKarteWeg() {
    document.querySelectorAll(".folium-map").forEach(function (div) {
      var erste = window[div.id];  // the frame's first map: its scripts ran at the top
      if (KARTE.test(div.id) && erste && typeof erste.remove === "function") {
        erste.remove();
        window[div.id] = undefined;
      }
    });
    if (window.thmKarte) { window.thmKarte.remove(); }
    window.thmKarte = null;
  }

  function tauschen(seite) {
    var neu = new DOMParser().parseFromString(seite, "text/html");
    alteKarteWeg();
    document.head.querySelectorAll("style").forEach(function (s) { s.remove(); });
    neu.head.querySelectorAll("style").forEach(function (s) {
      document.head.appendChild(document.importNode(s, true));
    });
    document.body.replaceChildren();
    var skripte = [];
    Array.from(neu.body.childNodes).forEach(function (knoten) {
      if (knoten.nodeName === "SCRIPT") {
        skripte.push(knoten.textContent);
      } else {
        document.body.appendChild(document.importNode(knoten, true));
      }
    });
    var div = document.querySelector(".folium-map");
    var name = div && KARTE.test(div.id) ? div.id : "null";
    var s = document.createElement("script");  // runs when appended
    s.textContent = "window.thmKarte = (function () {\n" + skripte.join("\n;\n") +
      "\n;return " + name + ";\n})();";
    document.body.appendChild(s);
  }

  window.addEventListener("message", function (e) {
    var d = e.data;
    if (e.source !== window.parent || !d || typeof d.thmKarteSeite !== "string") { return; }
    tauschen(d.thmKarteSeite);
    if (window.thmKarte) {  // else its scripts failed: the frame keeps its old name
      window.parent.postMessage({thmKarteGezeigt: String(d.thmAuswahl)}, "*");
    }
  });
  window.parent.postMessage({thmKarteBereit: true}, "*");
})();
