// The decision-table page (app/templates/admin/decision_table.html): the stored DMN in dmn-js's
// decision-table editor (read-only viewer for an older version), saving through the server
// (which checks it as an upload: problems come back in the reader's language, placed on rows),
// and a trial of sample scores on the edited table, refreshed as cells change.
import DmnModeler from "dmn-js/lib/Modeler";
import DmnViewer from "dmn-js/lib/Viewer";
import "dmn-js/dist/assets/dmn-js-shared.css";
import "dmn-js/dist/assets/dmn-js-decision-table.css";
import "dmn-js/dist/assets/dmn-js-decision-table-controls.css";
import "dmn-js/dist/assets/dmn-font/css/dmn-embedded.css";
import chinese from "./_dmn_zh.js";

const root = document.getElementById("dmn-editor");
const cfg = root.dataset;
const readOnly = cfg.readOnly === "true";
const source = JSON.parse(document.getElementById("dmn-source").textContent);
const problemsPanel = document.getElementById("dmn-problems-panel");
const problemsBox = document.getElementById("dmn-problems");
const statusBox = document.getElementById("dmn-status");
const saveButton = document.getElementById("dmn-save");
const previewButton = document.getElementById("dmn-preview");
const scoresInput = document.getElementById("preview-scores");
const scoresError = document.getElementById("preview-scores-error");
const previewBody = document.querySelector("#dmn-preview-table tbody");
const rowHighlight = document.createElement("style");
document.head.appendChild(rowHighlight);

const inChinese = document.documentElement.lang.startsWith("zh");
const options = {
  container: root,
  decisionTable: { additionalModules: inChinese ? [chinese] : [] },
};
const dmn = readOnly ? new DmnViewer(options) : new DmnModeler(options);

function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (_, name) => String(values[name]));
}

async function post(url, body) {
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: {
      "Content-Type": "application/json",
      Accept: "application/json",
      "X-CSRFToken": cfg.csrf,
    },
    body: JSON.stringify(body),
  });
  const type = response.headers.get("Content-Type") || "";
  const data = type.includes("application/json") ? await response.json() : null;
  return { status: response.status, data };
}

async function currentXml() {
  const { xml } = await dmn.saveXML({ format: true });
  return xml;
}

// Problems beside the table, each naming its row; the rows themselves are tinted (by a style
// rule on dmn-js's data-row-id, which survives the editor re-rendering its cells).
function showProblems(problems, heading) {
  problemsBox.replaceChildren();
  const rules = [];
  if (problems.length) {
    const title = document.createElement("p");
    title.textContent = heading || "";
    if (heading) problemsBox.appendChild(title);
    const list = document.createElement("ul");
    for (const problem of problems) {
      const item = document.createElement("li");
      item.className = "problem";
      if (problem.row) {
        item.dataset.rowId = problem.element_id;
        const where = document.createElement("strong");
        where.textContent = `${fill(cfg.msgRow, { n: problem.row })}：`;
        item.appendChild(where);
        rules.push(problem.element_id);
      }
      item.appendChild(document.createTextNode(problem.message));
      list.appendChild(item);
    }
    problemsBox.appendChild(list);
  }
  problemsPanel.hidden = problems.length === 0;
  rowHighlight.textContent = rules
    .map((id) => `#dmn-editor td[data-row-id="${CSS.escape(id)}"]`)
    .join(",\n")
    .concat(rules.length ? " { background: #fde2e2 !important; }" : "");
}

function gradeCell(result) {
  const cell = document.createElement("td");
  cell.textContent = result.label;
  if (result.error) {
    cell.className = "bad";
    cell.title = result.error;
  }
  return cell;
}

function showTrial(rows) {
  previewBody.replaceChildren();
  for (const row of rows) {
    const tr = document.createElement("tr");
    const score = document.createElement("td");
    score.className = "num";
    score.textContent = row.score;
    tr.append(score, gradeCell(row.edited), gradeCell(row.stored));
    if (row.edited.grade !== row.stored.grade) {
      tr.className = "changed";
      const mark = document.createElement("span");
      mark.className = "badge";
      mark.textContent = cfg.msgChanged;
      tr.children[1].append(" ", mark);
    }
    previewBody.appendChild(tr);
  }
}

async function preview() {
  if (!cfg.previewUrl) return;
  const { status, data } = await post(cfg.previewUrl, {
    xml: await currentXml(),
    scores: scoresInput.value,
  });
  const fieldErrors = (data && data.fields && data.fields.scores) || [];
  scoresError.textContent = fieldErrors.join(" ");
  scoresInput.toggleAttribute("aria-invalid", fieldErrors.length > 0);
  if (status === 200 && data) {
    showTrial(data.rows);
    if (!readOnly) showProblems(data.problems, cfg.msgWouldRefuse);
  } else if (!fieldErrors.length) {
    statusBox.textContent = fill(cfg.msgFailed, { status });
  }
}

async function save() {
  saveButton.disabled = true;
  statusBox.textContent = cfg.msgSaving;
  try {
    const { status, data } = await post(cfg.saveUrl, { xml: await currentXml() });
    if (status === 201 && data) {
      window.location.assign(data.url); // the page of the new version, with its notice
      return;
    }
    if (status === 200) {
      statusBox.textContent = cfg.msgUnchanged;
    } else if (status === 422 && data) {
      statusBox.textContent = "";
      showProblems(data.problems, cfg.msgProblems);
    } else {
      statusBox.textContent = fill(cfg.msgFailed, { status });
    }
  } finally {
    saveButton.disabled = false;
  }
}

let pending = null;
function previewSoon() {
  clearTimeout(pending);
  pending = setTimeout(preview, 400);
}

async function start() {
  try {
    await dmn.importXML(source);
    const table = dmn.getViews().find((view) => view.type === "decisionTable");
    if (table) await dmn.open(table);
  } catch (error) {
    problemsBox.textContent = `${cfg.msgLoadFailed}${error.message}`;
    problemsPanel.hidden = false;
    return;
  }
  root.dataset.ready = "true";
  // an older version, read-only, can still be saved again as the newest (a roll-back)
  saveButton.addEventListener("click", save);
  if (!readOnly) dmn.getActiveViewer().on("commandStack.changed", previewSoon);
  if (previewButton) {
    previewButton.addEventListener("click", preview);
    scoresInput.addEventListener("keydown", (event) => {
      if (event.key === "Enter") preview();
    });
    preview();
  }
}

start();
