// The portrait report's only script, inlined into the page: it moves the native title tooltips
// (which work without it) into one styled tooltip. Static: nothing from the data goes in here.
(function () {
  "use strict";
  var tip = document.getElementById("tip");
  var targets = document.querySelectorAll("[data-tip]");
  for (var i = 0; i < targets.length; i++) {
    var el = targets[i];
    var native = el.querySelector("title");
    if (native) { el.removeChild(native); }
    el.removeAttribute("title");
    el.addEventListener("mousemove", function (ev) {
      tip.textContent = this.getAttribute("data-tip");
      tip.style.display = "block";
      tip.style.left = Math.min(ev.clientX + 12, window.innerWidth - tip.offsetWidth - 8) + "px";
      tip.style.top = (ev.clientY + 14) + "px";
    });
    el.addEventListener("mouseleave", function () { tip.style.display = "none"; });
  }
  document.body.dataset.reportReady = "1";
})();
