// Build page: the field selects write the treatment/baseline predicates, and every change
// asks the server how many samples each predicate selects (and whether they overlap).
(function () {
  "use strict";
  var form = document.getElementById("build-form");
  if (!form) return;
  var timer = null;
  var latest = 0; // answers can arrive out of order: only the newest request is shown

  function predicate(role) {
    var parts = [];
    form.querySelectorAll("select[name^=" + role + "_]").forEach(function (select) {
      if (select.value !== "") parts.push(select.dataset.field + "=" + select.value);
    });
    return parts.join(" & ");
  }

  function showCount(role, info) {
    var el = document.getElementById(role + "-count");
    el.classList.toggle("error", Boolean(info.error));
    el.textContent = info.error ? info.error : info.count + " sample" + (info.count === 1 ? "" : "s");
  }

  function refresh() {
    var params = new URLSearchParams();
    ["treatment", "baseline"].forEach(function (role) { params.set(role, form.elements[role].value); });
    var ticket = ++latest;
    fetch(form.dataset.groupsUrl + "?" + params.toString(), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (ticket !== latest) return;
        showCount("treatment", data.treatment);
        showCount("baseline", data.baseline);
        var overlap = document.getElementById("group-overlap");
        overlap.classList.toggle("hidden", !data.overlap);
        overlap.textContent = data.overlap ? data.overlap + " sample(s) are in both groups: change one of them" : "";
      })
      .catch(function () {});
  }

  function later() { clearTimeout(timer); timer = setTimeout(refresh, 300); }
  form.querySelectorAll("select[name^=treatment_], select[name^=baseline_]").forEach(function (select) {
    select.addEventListener("change", function () {
      var role = select.dataset.role;
      form.elements[role].value = predicate(role);
      refresh();
    });
  });
  ["treatment", "baseline"].forEach(function (role) { form.elements[role].addEventListener("input", later); });
  refresh();
})();
