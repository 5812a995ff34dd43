// Query page: as soon as a file is chosen or text is pasted, ask the server how many genes it
// recognises and show it; offer only the metrics that fit the kind of query.
(function () {
  "use strict";
  var form = document.getElementById("query-form");
  if (!form) return;
  var box = document.getElementById("query-summary");
  var metric = form.querySelector("select[name=metric]");
  var FIT = { signature: ["pearson", "weighted", "extreme", "updown"], updown: ["updown"], genes: ["randomset"] };
  var timer = null;
  var latest = 0; // only the newest answer is shown

  function kindLabel(s) {
    if (s.kind === "signature") return "full signature" + (s.has_pvalues ? " with p-values" : "");
    return s.kind === "updown" ? "up/down lists" : "gene list";
  }

  function show(data) {
    box.classList.remove("hidden");
    if (data.error) {
      box.classList.add("error");
      box.textContent = data.error;
      return;
    }
    box.classList.remove("error");
    var text = data.n_recognised + " of " + data.n_given + " genes recognised (" + kindLabel(data) + ")";
    if (data.unknown.length) text += "; not recognised: " + data.unknown.join(", ") + (data.n_unknown > 20 ? " …" : "");
    data.notes.forEach(function (n) { text += ". " + n; });
    box.textContent = text;
    var fit = FIT[data.kind] || [];
    Array.prototype.forEach.call(metric.options, function (o) { o.disabled = fit.indexOf(o.value) < 0; });
    if (fit.indexOf(metric.value) < 0) metric.value = fit[0];
  }

  function check() {
    var body = new FormData();
    var file = form.querySelector("input[name=file]").files[0];
    if (file) body.append("file", file);
    ["text", "up", "down"].forEach(function (k) { body.append(k, form.querySelector("[name=" + k + "]").value); });
    if (!file && !["text", "up", "down"].some(function (k) { return body.get(k).trim(); })) return;
    body.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
    var ticket = ++latest;
    fetch(form.dataset.recogniseUrl, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) { if (ticket === latest) show(data); })
      .catch(function () { /* the "Check genes" button still works without this */ });
  }

  function later() { clearTimeout(timer); timer = setTimeout(check, 400); }
  form.querySelector("input[name=file]").addEventListener("change", check);
  ["text", "up", "down"].forEach(function (k) { form.querySelector("[name=" + k + "]").addEventListener("input", later); });
})();
