// The instance page's diagram: the instance's own definition version in a read-only bpmn-js
// viewer (pan and zoom), each element marked with its state from the server:
// completed (green), ready (blue), waiting (grey, dashed), overdue (red), error (dark red).
// The page carries the same facts as text (the list of active steps) for screen readers.
import NavigatedViewer from "bpmn-js/lib/NavigatedViewer";
import "bpmn-js/dist/assets/diagram-js.css";
import "bpmn-js/dist/assets/bpmn-js.css";
import "./instance_diagram.css";

const STATES = ["completed", "ready", "waiting", "error"];

async function fetchOk(url, kind) {
  const response = await fetch(url, { credentials: "same-origin", headers: { Accept: kind } });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return kind === "application/json" ? response.json() : response.text();
}

function mark(viewer, progress) {
  const canvas = viewer.get("canvas");
  const registry = viewer.get("elementRegistry");
  const marked = [];
  for (const [id, state] of Object.entries(progress.states)) {
    if (!STATES.includes(state) || !registry.get(id)) continue;
    canvas.addMarker(id, `state-${state}`);
    marked.push(id);
  }
  for (const id of progress.overdue) {
    if (registry.get(id)) canvas.addMarker(id, "state-overdue");
  }
  return marked;
}

// The year's diagram is wide: fitted whole it is too small to read on a laptop, so the view
// starts centred on the first active step at a readable scale; "全图" fits it all again.
const READABLE = 0.85;

function focus(viewer, progress) {
  const canvas = viewer.get("canvas");
  const registry = viewer.get("elementRegistry");
  canvas.zoom("fit-viewport", "auto");
  const first = (progress.active || []).map((step) => registry.get(step.bpmn_id)).find(Boolean);
  if (!first || canvas.zoom() >= READABLE) return;
  const { width, height } = canvas.getSize();
  canvas.viewbox({
    x: first.x + first.width / 2 - width / 2 / READABLE,
    y: first.y + first.height / 2 - height / 2 / READABLE,
    width: width / READABLE,
    height: height / READABLE,
  });
}

async function show(container) {
  const status = container.querySelector(".diagram-status");
  const viewer = new NavigatedViewer({ container: container.querySelector(".diagram-canvas") });
  try {
    const [xml, progress] = await Promise.all([
      fetchOk(container.dataset.sourceUrl, "application/xml"),
      fetchOk(container.dataset.statesUrl, "application/json"),
    ]);
    const { warnings } = await viewer.importXML(xml);
    if (warnings.length) console.warn("diagram import warnings", warnings);
    const marked = mark(viewer, progress);
    focus(viewer, progress);
    const whole = container.querySelector(".diagram-fit");
    whole.hidden = false;
    whole.addEventListener("click", () => viewer.get("canvas").zoom("fit-viewport", "auto"));
    container.dataset.ready = "true";
    container.dataset.marked = String(marked.length);
    status.textContent = "";
  } catch (error) {
    status.textContent = container.dataset.failedText;
    status.classList.add("error");
    container.dataset.ready = "failed";
    console.warn("diagram not shown", error);
  }
}

for (const container of document.querySelectorAll("[data-instance-diagram]")) {
  show(container);
}
