/* Static view of the THM-Werkbank: Übersicht and Angebotsfinder without a server.
   The data (daten_*.js) hold the texts the Voilà apps show; this script only picks
   and arranges them. No framework, nothing loaded from the network. */
"use strict";

function thmEl(tag, attrs, text) {
  var el = document.createElement(tag);
  if (attrs) {
    Object.keys(attrs).forEach(function (k) { el.setAttribute(k, attrs[k]); });
  }
  if (text !== undefined && text !== null) { el.textContent = text; }
  return el;
}

function thmOptionen(select, options, value) {
  options.forEach(function (o) {
    var opt = thmEl("option", { value: String(o[1]) }, o[0]);
    select.appendChild(opt);
  });
  if (value !== undefined) { select.value = String(value); }
}

/* A table of text cells; numeric columns right-aligned (as the apps' table_html). */
function thmTabelle(css, kopf, zeilen, numerisch) {
  var table = thmEl("table", { "class": "thm-tabelle " + css });
  var head = thmEl("tr");
  kopf.forEach(function (k) { head.appendChild(thmEl("th", null, k)); });
  table.appendChild(thmEl("thead")).appendChild(head);
  var body = table.appendChild(thmEl("tbody"));
  zeilen.forEach(function (z) {
    var tr = body.appendChild(thmEl("tr"));
    z.forEach(function (v, i) {
      var zahl = numerisch.indexOf(kopf[i]) >= 0;
      tr.appendChild(thmEl("td", zahl ? { "class": "thm-zahl" } : null, v));
    });
  });
  return table;
}

function thmLeeren(el) { while (el.firstChild) { el.removeChild(el.firstChild); } return el; }

/* ------------------------------------------------------------------ Übersicht */
function thmUebersicht(d) {
  var T = d.texte;
  var kommune = document.getElementById("kommune");
  var feld = document.getElementById("handlungsfeld");
  document.getElementById("kopf").textContent = d.kopf;
  thmOptionen(kommune, d.kommunen, d.kreis);
  thmOptionen(feld, d.felder, d.alle);

  function kennzahlen(ags, f) {
    var box = thmLeeren(document.getElementById("kennzahlen"));
    var werte = d.werte[ags + "|" + f];
    var suffix = f === d.alle ? "" : " (" + f + ")";
    var kacheln = box.appendChild(thmEl("div", { "class": "thm-kennzahlen" }));
    d.kacheln.forEach(function (k, i) {
      var label = k[1] + (i >= 4 ? suffix : "");
      var tile = kacheln.appendChild(thmEl("div", { "class": "thm-kachel " + k[0] }));
      tile.appendChild(thmEl("div", { "class": "thm-label" }, label));
      tile.appendChild(thmEl("div", { "class": "thm-wert" }, T[werte[i]]));
    });
    box.appendChild(thmEl("div", { "class": "thm-hinweis" }, d.hinweis));
    if (ags === d.kreis) {
      var det = box.appendChild(thmEl("details", { "class": "thm-je-gemeinde" }));
      det.appendChild(thmEl("summary", null, "Zielgruppe und Reichweite je Gemeinde"));
      var inhalt = det.appendChild(thmEl("div"));
      inhalt.innerHTML = d.je_gemeinde; /* the library's published table, escaped there */
    }
  }

  function matrix(ags, f) {
    var box = thmLeeren(document.getElementById("matrix"));
    var wrap = box.appendChild(thmEl("div", { style: "overflow-x:auto" }));
    var table = wrap.appendChild(thmEl("table", { "class": "thm-tabelle thm-matrix-tabelle" }));
    var head = table.appendChild(thmEl("thead")).appendChild(thmEl("tr"));
    head.appendChild(thmEl("th", null, "Gemeinde"));
    d.matrix_kopf.forEach(function (h) {
      head.appendChild(thmEl("th", h === f ? { "class": "thm-aktiv" } : null, h));
    });
    var body = table.appendChild(thmEl("tbody"));
    d.matrix[ags].forEach(function (z) {
      var tr = body.appendChild(thmEl("tr"));
      tr.appendChild(thmEl("th", null, T[z[0]]));
      for (var i = 1; i < z.length; i += 2) {
        tr.appendChild(thmEl("td", { "class": "thm-zahl", style: farben(d, T[z[i + 1]]) },
                             T[z[i]]));
      }
    });
    var legende = box.appendChild(thmEl("div", { "class": "thm-hinweis" }));
    d.legende.forEach(function (e) {
      legende.appendChild(thmEl("span", { "class": "thm-legende-eintrag",
                                          style: farben(d, e[1]) }, e[0]));
      legende.appendChild(document.createTextNode(" "));
    });
    legende.appendChild(thmEl("br"));
    legende.appendChild(document.createTextNode(d.matrix_hinweis[ags]));
  }

  // background and a readable text colour (chosen in Python: thm_lib.publish.maps.measure.textfarbe)
  function farben(d, hintergrund) {
    return "background:" + hintergrund + ";color:" + (d.textfarben[hintergrund] || "#222");
  }

  function luecken(ags, f) {
    var box = thmLeeren(document.getElementById("luecken"));
    var l = d.luecken[ags + "|" + f];
    var zeilen = l.zeilen.map(function (n) {
      return d.luecken_zeilen[n].map(function (x) { return T[x]; });
    });
    if (l.leer !== null) {
      box.appendChild(thmEl("p", null, T[l.leer]));
    } else {
      box.appendChild(thmTabelle("thm-luecken-tabelle", d.luecken_kopf, zeilen,
                                 ["Versorgungsgrad", "Fehlende Plätze"]));
    }
    if (l.hinweis !== null) {
      box.appendChild(thmEl("p", { "class": "thm-hinweis thm-gesperrt-hinweis" }, T[l.hinweis]));
    }
  }

  function karte(ags, f) {
    var frame = document.getElementById("karte");
    var src = d.karten[f];
    if (frame.getAttribute("src") !== src) { frame.setAttribute("src", src); }
    frame.setAttribute("data-auswahl", d.kreis + "|" + f);
    document.getElementById("karte-hinweis").textContent = ags === d.kreis ? "" :
      "Die Karte zeigt den ganzen Kreis (in der Voilà-App: nur die gewählte Kommune).";
  }

  function zeigen() {
    var ags = kommune.value, f = feld.value;
    kennzahlen(ags, f);
    matrix(ags, f);
    luecken(ags, f);
    karte(ags, f);
    document.body.setAttribute("data-auswahl", ags + "|" + f);
  }
  kommune.addEventListener("change", zeigen);
  feld.addEventListener("change", zeigen);
  zeigen();
}

/* ------------------------------------------------------------------ Angebotsfinder */
function thmAngebotsfinder(d) {
  var T = d.texte;
  var lo = d.alter[0], hi = d.alter[1];
  var status = document.getElementById("status");
  var alter = document.getElementById("alter");
  var gemeinde = document.getElementById("gemeinde");
  var feld = document.getElementById("handlungsfeld");
  document.getElementById("kopf").textContent = d.kopf;
  document.getElementById("alter-label").firstChild.textContent =
    "Alter (" + lo + " bis " + hi + ") ";
  var alter_optionen = [];
  for (var a = lo; a <= hi; a++) { alter_optionen.push([String(a), a]); }
  thmOptionen(status, d.status);
  thmOptionen(alter, alter_optionen, d.alter[2]);
  thmOptionen(gemeinde, d.gemeinden);
  thmOptionen(feld, d.felder);

  function pos(options, value) {
    for (var i = 0; i < options.length; i++) { if (String(options[i][1]) === value) { return i; } }
    return -1;
  }

  /* same counting as thm_lib.apps.statisch.profil_nummer */
  function nummer() {
    var i = pos(d.status, status.value);
    i = i * (hi - lo + 1) + (parseInt(alter.value, 10) - lo);
    i = i * d.gemeinden.length + pos(d.gemeinden, gemeinde.value);
    return i * d.felder.length + pos(d.felder, feld.value);
  }

  function zeigen() {
    var e = d.ergebnisse[d.profile[nummer()]];
    var n = e[0], passend = [], aus = [];
    for (var j = 1; j < e.length; j += 2) {
      var teile = d.zeilen[e[j]].map(function (x) { return T[x]; });
      if (passend.length < n) {
        passend.push([String(passend.length + 1)].concat(teile.slice(0, 4), [T[e[j + 1]]],
                                                         teile.slice(4)));
      } else {
        aus.push(teile.concat([T[e[j + 1]]]));
      }
    }
    var liste = thmLeeren(document.getElementById("liste"));
    if (passend.length) {
      liste.appendChild(thmTabelle("thm-angebote-tabelle", d.kopf_passend, passend,
                                   [d.kopf_passend[5], "Plätze/Jahr"]));
    } else {
      liste.appendChild(thmEl("p", { "class": "thm-keine" },
                              "Kein passendes Angebot für dieses Profil."));
    }
    var box = thmLeeren(document.getElementById("ausgeschlossen"));
    if (aus.length) {
      box.appendChild(thmTabelle("thm-ausgeschlossen-tabelle", d.kopf_aus, aus, []));
    } else {
      box.appendChild(thmEl("p", null, "Keine."));
    }
    var meldung = thmLeeren(document.getElementById("meldung"));
    meldung.appendChild(thmEl("div", { "class": "thm-hinweis" },
      passend.length + " passende, " + aus.length + " nicht passende Angebote · Stichtag " +
      d.stichtag));
    document.body.setAttribute("data-profil", [status.value, alter.value, gemeinde.value,
                                               feld.value].join("|"));
  }
  [status, alter, gemeinde, feld].forEach(function (w) { w.addEventListener("change", zeigen); });
  zeigen();
}
