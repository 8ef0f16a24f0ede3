// Progressive enhancement only: every page works without this file.
// Suggestions as you type for ESCO occupations and skills (fields with data-suggest).
(function () {
  "use strict";
  function debounce(fn, ms) { var t; return function () { var a = arguments; clearTimeout(t); t = setTimeout(function () { fn.apply(null, a); }, ms); }; }
  document.querySelectorAll("input[data-suggest]").forEach(function (input) {
    var kind = input.getAttribute("data-suggest");
    var target = document.getElementById(input.getAttribute("data-target"));
    var list = document.createElement("datalist");
    list.id = input.id + "-lijst";
    input.setAttribute("list", list.id);
    input.parentNode.appendChild(list);
    var ids = {};
    input.addEventListener("input", debounce(function () {
      var q = input.value.trim();
      if (ids[q] && target) { target.value = ids[q]; return; }
      if (q.length < 2) { return; }
      fetch("/api/v1/esco/" + kind + "?q=" + encodeURIComponent(q) + "&limit=10", { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (items) {
          list.innerHTML = "";
          (items.items || items).forEach(function (it) {
            var o = document.createElement("option");
            o.value = it.label;
            ids[it.label] = it.id;
            list.appendChild(o);
          });
        })
        .catch(function () {});
    }, 200));
    input.addEventListener("change", function () { if (target && ids[input.value]) { target.value = ids[input.value]; } });
  });
  // Move focus to an error summary so that screen-reader users hear it first.
  var summary = document.getElementById("fouten");
  if (summary) { summary.focus(); }
})();
