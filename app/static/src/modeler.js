// 流程设计: bpmn-js Modeler with the properties panel and the spiffworkflow pickers.
// The page (app/templates/admin/modeler_edit.html) provides the config (URLs, CSRF token,
// versions) and the translated texts; every call to the server sends the CSRF token.
import BpmnModeler from "bpmn-js/lib/Modeler";
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from "bpmn-js-properties-panel";
import "bpmn-js/dist/assets/diagram-js.css";
import "bpmn-js/dist/assets/bpmn-js.css";
import "bpmn-js/dist/assets/bpmn-font/css/bpmn-embedded.css";
import "@bpmn-io/properties-panel/dist/assets/properties-panel.css";
import spiffworkflowModdle from "./_spiffworkflow_moddle.json";
import { SpiffPropertiesProviderModule, format } from "./_spiff_properties.js";
import { translateModule } from "./_modeler_translate.js";

const MARKERS = ["modeler-problem", "modeler-added", "modeler-changed"];

function readJson(id) {
  return JSON.parse(document.getElementById(id).textContent);
}

const config = readJson("modeler-config");
const text = readJson("modeler-text");
window.modelerText = text;

const statusLine = document.getElementById("modeler-status");
const results = document.getElementById("modeler-results");
const resultsHeading = document.getElementById("modeler-results-heading");
const resultsList = document.getElementById("modeler-results-list");
const buttons = Array.from(document.querySelectorAll("[data-action]"));

function say(message, kind = "info") {
  statusLine.textContent = message;
  statusLine.className = `modeler-status modeler-status-${kind}`;
}


async function call(method, url, body) {
  const headers = { Accept: "application/json", "X-CSRFToken": config.csrfToken };
  if (body !== undefined) headers["Content-Type"] = "application/xml; charset=utf-8";
  const response = await fetch(url, { method, headers, body, credentials: "same-origin" });
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  return { ok: response.ok, status: response.status, data };
}

// --- the modeler -------------------------------------------------------------------------

const modeler = new BpmnModeler({
  container: "#canvas",
  propertiesPanel: { parent: "#properties", layout: { groups: { spiffworkflow: { open: true } } } },
  additionalModules: [
    BpmnPropertiesPanelModule,
    BpmnPropertiesProviderModule,
    SpiffPropertiesProviderModule,
    ...(document.documentElement.lang.startsWith("zh") ? [translateModule] : []),
  ],
  moddleExtensions: { spiffworkflow: spiffworkflowModdle },
});
const canvas = modeler.get("canvas");
const overlays = modeler.get("overlays");
const elementRegistry = modeler.get("elementRegistry");
let dirty = false;
// What the editor shows came from: "draft", "version" or "new". Saving an opened version
// replaces the process's draft, which the admin confirms first.
let openedFrom = null;

modeler.on("commandStack.changed", () => {
  dirty = true;
});
window.addEventListener("beforeunload", (event) => {
  if (dirty) event.preventDefault();
});

// SpiffWorkflow names a multi-instance's input collection by its variable name, which
// bpmn-moddle cannot resolve to an element and would drop on export: keep it as a reference.
function keepUnresolvedReferences(warnings) {
  const moddle = modeler.get("moddle");
  for (const warning of warnings) {
    if (/^unresolved reference/.test(warning.message) && warning.element && warning.property) {
      warning.element.set(warning.property, moddle.create("bpmn:DataInput", { id: warning.value }));
    }
  }
}

// A whole year's diagram fitted into the viewport is too small to read: below READABLE the
// view starts at the diagram's left edge instead (right of the palette), at a readable scale.
const READABLE = 0.6;
const PALETTE_WIDTH = 120;

function fitReadably() {
  canvas.zoom("fit-viewport");
  if (canvas.zoom() >= READABLE) return;
  const box = canvas.viewbox();
  const inner = box.inner;
  canvas.zoom(READABLE);
  canvas.viewbox({
    x: inner.x - PALETTE_WIDTH / READABLE,
    y: inner.y - 20,
    width: box.outer.width / READABLE,
    height: box.outer.height / READABLE,
  });
}

async function open() {
  const params = new URLSearchParams();
  if (config.version) params.set("version", config.version);
  if (config.new) {
    params.set("new", "1");
    params.set("name", config.name);
  }
  const source = await call("GET", `${config.urls.source}?${params}`);
  if (!source.ok) {
    say(source.data ? source.data.error.message : text.failed, "error");
    return;
  }
  const { warnings } = await modeler.importXML(source.data.source);
  keepUnresolvedReferences(warnings);
  fitReadably();
  dirty = false;
  const origin = {
    draft: text.openedDraft,
    version: format(text.openedVersion, { n: source.data.version }),
    new: text.openedNew,
  }[source.data.origin];
  openedFrom = source.data.origin;
  say(origin);
}

// --- markers and the results list ------------------------------------------------------------

function clearMarks() {
  for (const element of elementRegistry.getAll()) {
    for (const marker of MARKERS) canvas.removeMarker(element.id, marker);
  }
  overlays.remove({ type: "modeler-note" });
}

function mark(id, marker, note) {
  if (!id || !elementRegistry.get(id)) return false;
  canvas.addMarker(id, marker);
  const badge = document.createElement("div");
  badge.className = `modeler-badge ${marker}`;
  badge.textContent = note;
  overlays.add(id, "modeler-note", { position: { top: -12, left: -6 }, html: badge });
  return true;
}

function focusElement(id) {
  const element = elementRegistry.get(id);
  if (!element) return;
  modeler.get("selection").select(element);
  canvas.scrollToElement(element);
}

function showResults(heading, items) {
  results.hidden = false;
  resultsHeading.textContent = heading;
  resultsList.replaceChildren(
    ...items.map(({ id, textContent, kind }) => {
      const li = document.createElement("li");
      li.className = `modeler-result modeler-result-${kind}`;
      if (id && elementRegistry.get(id)) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "link";
        button.textContent = textContent;
        button.addEventListener("click", () => focusElement(id));
        li.append(button);
      } else {
        li.textContent = textContent;
      }
      return li;
    }),
  );
}

function elementLabel(id) {
  const element = id && elementRegistry.get(id);
  const name = element && element.businessObject.name;
  return id ? (name ? format(text.named, { name, key: id }) : id) : text.wholeDiagram;
}

function showProblems(problems) {
  clearMarks();
  for (const problem of problems) mark(problem.element_id, "modeler-problem", "!");
  showResults(
    format(text.problemsFound, { n: problems.length }),
    problems.map((p) => ({
      id: p.element_id,
      kind: "problem",
      textContent: format(text.problem, {
        element: elementLabel(p.element_id),
        code: text.problemCodes[p.code] || p.code,
        message: p.message,
      }),
    })),
  );
}

function showChanges(comparison) {
  clearMarks();
  const changes = comparison.changes;
  for (const change of changes) {
    if (change.change !== "removed") {
      mark(change.element_id, `modeler-${change.change}`, text.changeKinds[change.change]);
    }
  }
  const against = comparison.old_version ? format(text.versionN, { n: comparison.old_version }) : text.nothing;
  const heading = changes.length
    ? format(text.changesFound, { n: changes.length, against })
    : format(text.noChanges, { against });
  showResults(
    heading,
    changes.map((c) => {
      const details = c.fields.map((f) => `${f.field}: ${f.old ?? "∅"} → ${f.new ?? "∅"}`).join(text.separator);
      const label = c.name ? format(text.named, { name: c.name, key: c.element_id }) : c.element_id;
      return {
        id: c.change === "removed" ? null : c.element_id,
        kind: c.change,
        textContent: `${text.changeKinds[c.change]} ${c.element_type} ${details ? format(text.labelled, { what: label, detail: details }) : label}`,
      };
    }),
  );
}

// --- the actions -----------------------------------------------------------------------------

async function saveDraft() {
  if (openedFrom === "version" && config.hasDraft && !window.confirm(text.replaceDraft)) {
    return false;
  }
  const { xml } = await modeler.saveXML({ format: true });
  const saved = await call("PUT", config.urls.draft, xml);
  if (!saved.ok) {
    const error = saved.data ? saved.data.error : null;
    if (error && error.problems) showProblems(error.problems);
    say(error ? error.message : text.failed, "error");
    return false;
  }
  dirty = false;
  openedFrom = "draft";
  config.hasDraft = true;
  document.querySelector('[data-action="discard"]').hidden = false;
  return true;
}

const actions = {
  async save() {
    if (await saveDraft()) say(text.saved, "success");
  },
  async validate() {
    if (!(await saveDraft())) return;
    const checked = await call("POST", config.urls.validate);
    if (!checked.ok) return say(checked.data ? checked.data.error.message : text.failed, "error");
    if (checked.data.valid) {
      clearMarks();
      results.hidden = true;
      say(text.valid, "success");
    } else {
      showProblems(checked.data.problems);
      say(format(text.problemsFound, { n: checked.data.problems.length }), "error");
    }
  },
  async publish() {
    if (!window.confirm(format(text.confirmPublish, { running: config.running }))) return;
    if (!(await saveDraft())) return;
    const published = await call("POST", config.urls.publish);
    if (!published.ok) {
      const error = published.data ? published.data.error : null;
      if (error && error.problems) {
        showProblems(error.problems);
        say(format(text.publishRefused, { n: error.problems.length }), "error");
      } else {
        say(error ? error.message : text.failed, "error");
      }
      return;
    }
    const definition = published.data;
    clearMarks();
    results.hidden = true;
    config.hasDraft = false;
    document.querySelector('[data-action="discard"]').hidden = true;
    if (published.status === 201) {
      addVersion(definition);
      say(format(text.published, { n: definition.version }), "success");
    } else {
      say(format(text.unchanged, { n: definition.version }), "info");
    }
  },
  async compare() {
    if (!(await saveDraft())) return;
    const compared = await call("GET", config.urls.compare);
    if (!compared.ok) return say(compared.data ? compared.data.error.message : text.failed, "error");
    showChanges(compared.data);
    say(text.compared, "info");
  },
  async discard() {
    if (!window.confirm(text.confirmDiscard)) return;
    const discarded = await call("DELETE", config.urls.draft);
    if (!discarded.ok && discarded.status !== 404) {
      return say(discarded.data ? discarded.data.error.message : text.failed, "error");
    }
    config.hasDraft = false;
    config.version = null;
    document.querySelector('[data-action="discard"]').hidden = true;
    if (!config.versions.length) {
      window.location.assign(config.urls.index);
      return;
    }
    await open();
    say(text.discarded, "success");
  },
  async rollback() {
    const select = document.getElementById("rollback-version");
    const id = select.value;
    if (!id) return say(text.chooseVersion, "error");
    const old = select.selectedOptions[0].dataset.version;
    if (!window.confirm(format(text.confirmRollback, { old, running: config.running }))) return;
    const rolled = await call("POST", config.urls.rollback.replace(/\/0\/rollback$/, `/${id}/rollback`));
    if (!rolled.ok) return say(rolled.data ? rolled.data.error.message : text.failed, "error");
    addVersion(rolled.data);
    config.version = rolled.data.version;
    await open();
    say(format(text.rolledBack, { n: rolled.data.version, old }), "success");
  },
};

function addVersion(definition) {
  config.versions.push({ id: definition.id, version: definition.version });
  document.getElementById("modeler-latest").textContent = format(text.versionN, { n: definition.version });
  refreshRollbackChoices();
}

function refreshRollbackChoices() {
  const select = document.getElementById("rollback-version");
  const latest = Math.max(0, ...config.versions.map((v) => v.version));
  const choices = config.versions.filter((v) => v.version !== latest).sort((a, b) => b.version - a.version);
  const blank = document.createElement("option");
  blank.value = "";
  blank.textContent = text.chooseVersion;
  select.replaceChildren(
    blank,
    ...choices.map((v) => {
      const option = document.createElement("option");
      option.value = v.id;
      option.dataset.version = v.version;
      option.textContent = format(text.versionN, { n: v.version });
      return option;
    }),
  );
  select.disabled = document.querySelector('[data-action="rollback"]').disabled = !choices.length;
}

async function run(name) {
  buttons.forEach((b) => (b.disabled = true));
  say(text.working);
  try {
    await actions[name]();
  } catch (error) {
    say(format(text.labelled, { what: text.failed, detail: error.message }), "error");
  } finally {
    buttons.forEach((b) => (b.disabled = false));
    refreshRollbackChoices();
  }
}

async function start() {
  const catalog = await call("GET", config.urls.catalog);
  if (!catalog.ok) {
    say(text.failed, "error");
    return;
  }
  window.modelerCatalog = catalog.data;
  for (const button of buttons) button.addEventListener("click", () => run(button.dataset.action));
  refreshRollbackChoices();
  await open();
  document.body.dataset.modelerReady = "true";
}

start();
