/* On the app page: hand the Übersicht's next map to its map frame. The kernel puts the
   next map into a hidden element (.thm-karte-neu, its page in data-seite); the frame
   (seiten/karte_tausch.js) swaps it in and reports the selection it shows, which
   becomes the frame's data-auswahl. Nothing is sent before the frame listens; a frame
   made anew (the widget drawn again) gets the latest map once it is ready. Only
   messages of the page's own map frames are heeded, and they only set that attribute. */
(function () {
  "use strict";
  var bereit = new WeakSet();
  var gesendet = new WeakMap();  // frame -> the element whose map it got

  function senden() {
    document.querySelectorAll(".thm-karte").forEach(function (box) {
      var frame = box.querySelector("iframe.thm-karte-frame");
      var neu = box.querySelector(".thm-karte-neu");
      if (!frame || !neu || !bereit.has(frame) || gesendet.get(frame) === neu) { return; }
      gesendet.set(frame, neu);
      frame.contentWindow.postMessage(
        {thmKarteSeite: neu.getAttribute("data-seite"),
         thmAuswahl: neu.getAttribute("data-auswahl")},
        "*"
      );
    });
  }

  window.addEventListener("message", function (e) {
    var d = e.data;
    if (!d || !(d.thmKarteBereit === true || typeof d.thmKarteGezeigt === "string")) { return; }
    document.querySelectorAll("iframe.thm-karte-frame").forEach(function (frame) {
      if (frame.contentWindow !== e.source) { return; }
      if (d.thmKarteBereit === true) {
        bereit.add(frame);
        gesendet.delete(frame);
      } else {
        frame.setAttribute("data-auswahl", d.thmKarteGezeigt);
      }
    });
    senden();
  });
  new MutationObserver(senden).observe(document, {childList: true, subtree: true});
})();
