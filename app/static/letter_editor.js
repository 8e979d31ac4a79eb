// 绩效责任书 editor: add/remove indicator rows and a live weight sum.
// Weights are summed in integer hundredths, so 33.33 + 33.33 + 33.34 is exactly 100.
(function () {
  "use strict";

  var form = document.getElementById("letter-form");
  if (!form) return;
  var body = document.getElementById("lines");
  var template = document.getElementById("line-template");
  var sumOutput = document.getElementById("weight-sum");
  var warning = document.getElementById("weight-warning");
  var FIELD = /lines-(\d+|__n__)-/;

  // "12.5" -> 1250; null when it is not a non-negative number with at most two decimals.
  function hundredths(text) {
    var match = /^\s*(\d{1,6})(?:\.(\d{0,2}))?\s*$/.exec(text);
    if (!match) return null;
    var cents = (match[2] || "").padEnd(2, "0");
    return parseInt(match[1], 10) * 100 + parseInt(cents, 10);
  }

  function formatHundredths(value) {
    var whole = Math.floor(value / 100);
    var cents = value % 100;
    if (cents === 0) return String(whole);
    var fraction = String(cents).padStart(2, "0").replace(/0$/, "");
    return whole + "." + fraction;
  }

  function updateSum() {
    var total = 0;
    var invalid = false;
    body.querySelectorAll("input.weight").forEach(function (input) {
      if (input.value.trim() === "") return;
      var value = hundredths(input.value);
      if (value === null) invalid = true;
      else total += value;
    });
    sumOutput.textContent = formatHundredths(total);
    var wrong = invalid || total !== 10000;
    sumOutput.classList.toggle("bad", wrong);
    sumOutput.classList.toggle("good", !wrong);
    if (invalid) {
      warning.textContent = warning.dataset.invalid;
    } else if (total !== 10000) {
      warning.textContent = warning.dataset.template.replace("{sum}", formatHundredths(total));
    }
    warning.hidden = !wrong;
    // the server's verdict on an earlier total no longer applies once the sum is right
    var serverError = document.getElementById("weight_total-error");
    if (serverError) serverError.hidden = !wrong;
  }

  function renumber() {
    body.querySelectorAll("tr.line").forEach(function (row, index) {
      row.dataset.index = String(index);
      row.querySelectorAll("[id], [name], [for], [aria-describedby]").forEach(function (el) {
        ["id", "name", "for", "aria-describedby"].forEach(function (attr) {
          var value = el.getAttribute(attr);
          if (value && FIELD.test(value)) {
            el.setAttribute(attr, value.replace(FIELD, "lines-" + index + "-"));
          }
        });
      });
      row.querySelectorAll(".line-no, .line-number").forEach(function (el) {
        el.textContent = String(index + 1);
      });
      var remove = row.querySelector(".remove-line");
      if (remove) remove.setAttribute("aria-label", remove.dataset.label.replace("{n}", index + 1));
    });
  }

  document.getElementById("add-line").addEventListener("click", function () {
    var row = template.content.querySelector("tr").cloneNode(true);
    body.appendChild(row);
    renumber();
    updateSum();
    row.querySelector("input").focus();
  });

  body.addEventListener("click", function (event) {
    var button = event.target.closest(".remove-line");
    if (!button) return;
    var row = button.closest("tr");
    var next = row.nextElementSibling || row.previousElementSibling;
    row.remove();
    renumber();
    updateSum();
    var focus = next ? next.querySelector(".remove-line") : document.getElementById("add-line");
    focus.focus();
  });

  body.addEventListener("input", function (event) {
    if (event.target.classList.contains("weight")) updateSum();
  });

  // A library indicator brings its name, kind, direction, unit and default target; those
  // fields are then read-only (the server takes them from the library in any case).
  var LINKED = ["name", "direction", "kind", "threshold", "unit"];
  body.addEventListener("change", function (event) {
    if (!event.target.classList.contains("indicator")) return;
    var row = event.target.closest("tr");
    var option = event.target.selectedOptions[0];
    var linked = event.target.value !== "";
    ["name", "kind", "direction", "target", "threshold", "unit"].forEach(function (field) {
      var input = row.querySelector("[name$='-" + field + "']");
      if (linked) input.value = option.dataset[field] || "";
      if (LINKED.indexOf(field) >= 0 && input.tagName === "INPUT") input.readOnly = linked;
    });
  });

  updateSum();
})();
