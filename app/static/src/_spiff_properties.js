// Properties-panel groups for what the engine reads from a diagram (workflows/README.md):
// a lane's role, a user task's form key, due time and assignee, a service task's handler,
// result variable and parameters, a catch event's message. Every choice the engine checks
// is a picker fed by the server's catalogs (window.modelerCatalog, loaded before the modeler).
import { SelectEntry, TextFieldEntry, isSelectEntryEdited, isTextFieldEntryEdited } from "@bpmn-io/properties-panel";
import { h } from "@bpmn-io/properties-panel/preact";
import { useService } from "bpmn-js-properties-panel";
import { getBusinessObject, is } from "bpmn-js/lib/util/ModelUtil";

const LOW_PRIORITY = 500;

// --- reading and writing the spiffworkflow extension elements ------------------------------

function extension(bo, type) {
  const ext = bo.get("extensionElements");
  return ext ? ext.get("values").find((v) => is(v, type)) : undefined;
}

export function getProperty(bo, name) {
  const props = extension(bo, "spiffworkflow:Properties");
  const found = props ? props.get("properties").find((p) => p.get("name") === name) : undefined;
  return found ? found.get("value") : undefined;
}

function create(bpmnFactory, type, attrs, parent) {
  const element = bpmnFactory.create(type, attrs);
  element.$parent = parent;
  return element;
}

function update(element, moddleElement, properties) {
  return { cmd: "element.updateModdleProperties", context: { element, moddleElement, properties } };
}

// The element's extensionElements and the child of `type` in it, created (as commands) if missing.
function ensureExtension(element, type, bpmnFactory, commands, attrs) {
  const bo = getBusinessObject(element);
  let ext = bo.get("extensionElements");
  if (!ext) {
    ext = create(bpmnFactory, "bpmn:ExtensionElements", { values: [] }, bo);
    commands.push(update(element, bo, { extensionElements: ext }));
  }
  let child = ext.get("values").find((v) => is(v, type));
  if (!child) {
    child = create(bpmnFactory, type, attrs, ext);
    commands.push(update(element, ext, { values: [...ext.get("values"), child] }));
  }
  return child;
}

function setProperty(element, name, value, { bpmnFactory, commandStack }) {
  const commands = [];
  const bo = getBusinessObject(element);
  const existing = extension(bo, "spiffworkflow:Properties");
  if (!value && !existing) return;
  const props = existing || ensureExtension(element, "spiffworkflow:Properties", bpmnFactory, commands, { properties: [] });
  const list = props.get("properties");
  const prop = list.find((p) => p.get("name") === name);
  if (!value) {
    if (!prop) return;
    commands.push(update(element, props, { properties: list.filter((p) => p !== prop) }));
  } else if (prop) {
    commands.push(update(element, prop, { value }));
  } else {
    const created = create(bpmnFactory, "spiffworkflow:Property", { name, value }, props);
    commands.push(update(element, props, { properties: [...list, created] }));
  }
  commandStack.execute("properties-panel.multi-command-executor", commands);
}

function operatorOf(bo) {
  return extension(bo, "spiffworkflow:ServiceTaskOperator");
}

function setOperator(element, attrs, services) {
  const { bpmnFactory, commandStack } = services;
  const commands = [];
  const operator = ensureExtension(element, "spiffworkflow:ServiceTaskOperator", bpmnFactory, commands, {});
  commands.push(update(element, operator, attrs));
  commandStack.execute("properties-panel.multi-command-executor", commands);
}

function parameterValue(bo, id) {
  const operator = operatorOf(bo);
  const list = operator && operator.get("parameterList");
  const found = list ? list.get("parameters").find((p) => p.get("id") === id) : undefined;
  return found ? found.get("value") : undefined;
}

function setParameter(element, id, value, services) {
  const { bpmnFactory, commandStack } = services;
  const commands = [];
  const operator = ensureExtension(element, "spiffworkflow:ServiceTaskOperator", bpmnFactory, commands, {});
  let list = operator.get("parameterList");
  if (!list) {
    list = create(bpmnFactory, "spiffworkflow:Parameters", { parameters: [] }, operator);
    commands.push(update(element, operator, { parameterList: list }));
  }
  const params = list.get("parameters");
  const param = params.find((p) => p.get("id") === id);
  if (!value) {
    if (param) commands.push(update(element, list, { parameters: params.filter((p) => p !== param) }));
  } else if (param) {
    commands.push(update(element, param, { value }));
  } else {
    const created = create(bpmnFactory, "spiffworkflow:Parameter", { id, type: "any", value }, list);
    commands.push(update(element, list, { parameters: [...params, created] }));
  }
  if (commands.length) commandStack.execute("properties-panel.multi-command-executor", commands);
}

// --- entries -------------------------------------------------------------------------------

function useServices() {
  return {
    bpmnFactory: useService("bpmnFactory"),
    commandStack: useService("commandStack"),
    modeling: useService("modeling"),
    translate: useService("translate"),
    debounce: useService("debounceInput"),
  };
}

// Options for a picker: a blank choice, the catalog's, and a value the catalog lacks (so an
// unknown key stays visible, marked, instead of silently showing another choice).
function options(items, current, blankLabel, unknownLabel) {
  const list = [{ value: "", label: blankLabel }];
  for (const item of items) list.push({ value: item.key, label: format(text().named, { name: item.label, key: item.key }) });
  if (current && !items.some((item) => item.key === current)) {
    list.push({ value: current, label: format(text().labelled, { what: unknownLabel, detail: current }) });
  }
  return list;
}

export function format(template, values) {
  return template.replace(/{(\w+)}/g, (_, name) => String(values[name]));
}

function text() {
  return window.modelerText;
}

function catalog() {
  return window.modelerCatalog;
}

function LaneRole(props) {
  const { element, id } = props;
  const services = useServices();
  const getValue = () => getBusinessObject(element).get("name") || "";
  return h(SelectEntry, {
    id,
    element,
    label: text().role,
    description: text().roleHint,
    getValue,
    setValue: (value) => services.modeling.updateProperties(element, { name: value || undefined }),
    getOptions: () => options(catalog().roles, getValue(), text().choose, text().unknown),
  });
}

function FormKey(props) {
  const { element, id } = props;
  const services = useServices();
  const getValue = () => getProperty(getBusinessObject(element), "formKey") || "";
  return h(SelectEntry, {
    id,
    element,
    label: text().formKey,
    getValue,
    setValue: (value) => setProperty(element, "formKey", value, services),
    getOptions: () => options(catalog().forms, getValue(), text().choose, text().unknown),
  });
}

function DueIn(props) {
  const { element, id } = props;
  const services = useServices();
  const getValue = () => getProperty(getBusinessObject(element), "dueIn") || "";
  const dueOptions = () => {
    const current = getValue();
    const list = [{ value: "", label: text().noDue }, ...catalog().due];
    if (current && !catalog().due.some((d) => d.value === current)) list.push({ value: current, label: current });
    return list;
  };
  return h(SelectEntry, {
    id,
    element,
    label: text().dueIn,
    description: format(text().labelled, { what: text().escalation, detail: catalog().escalation.note }),
    getValue,
    setValue: (value) => setProperty(element, "dueIn", value, services),
    getOptions: dueOptions,
  });
}

function Assignee(props) {
  const { element, id } = props;
  const services = useServices();
  return h(TextFieldEntry, {
    id,
    element,
    label: text().assignee,
    description: text().assigneeHint,
    debounce: services.debounce,
    getValue: () => getProperty(getBusinessObject(element), "assignee") || "",
    setValue: (value) => setProperty(element, "assignee", (value || "").trim(), services),
    validate: (value) => (value && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(value) ? text().badVariable : null),
  });
}

function Handler(props) {
  const { element, id } = props;
  const services = useServices();
  const getValue = () => {
    const operator = operatorOf(getBusinessObject(element));
    return (operator && operator.get("id")) || "";
  };
  const handler = catalog().handlers.find((item) => item.key === getValue());
  return h(SelectEntry, {
    id,
    element,
    label: text().handler,
    description: handler ? handler.description : "",
    getValue,
    setValue: (value) => setOperator(element, { id: value || undefined }, services),
    getOptions: () => options(catalog().handlers, getValue(), text().choose, text().unknown),
  });
}

function ResultVariable(props) {
  const { element, id } = props;
  const services = useServices();
  return h(TextFieldEntry, {
    id,
    element,
    label: text().resultVariable,
    debounce: services.debounce,
    getValue: () => {
      const operator = operatorOf(getBusinessObject(element));
      return (operator && operator.get("resultVariable")) || "";
    },
    setValue: (value) => setOperator(element, { resultVariable: (value || "").trim() || undefined }, services),
    validate: (value) => (value && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(value) ? text().badVariable : null),
  });
}

function Parameter(props) {
  const { element, id, parameter } = props;
  const services = useServices();
  const label = `${text().parameter} ${parameter.name}${parameter.required ? text().required : ""}`;
  return h(TextFieldEntry, {
    id,
    element,
    label,
    description: parameter.type ? format(text().named, { name: text().expression, key: parameter.type }) : text().expression,
    debounce: services.debounce,
    getValue: () => parameterValue(getBusinessObject(element), parameter.name) || "",
    setValue: (value) => setParameter(element, parameter.name, (value || "").trim(), services),
  });
}

function messageDefinition(element) {
  const bo = getBusinessObject(element);
  return (bo.get("eventDefinitions") || []).find((d) => is(d, "bpmn:MessageEventDefinition"));
}

function Message(props) {
  const { element, id } = props;
  const { bpmnFactory, commandStack } = useServices();
  const canvas = useService("canvas");
  const definition = messageDefinition(element);
  const getValue = () => {
    const ref = definition.get("messageRef");
    return (ref && ref.get("name")) || "";
  };
  const setValue = (value) => {
    const definitions = canvas.getRootElement().businessObject.$parent;
    const commands = [];
    let message = null;
    if (value) {
      const roots = definitions.get("rootElements");
      message = roots.find((r) => is(r, "bpmn:Message") && r.get("name") === value);
      if (!message) {
        message = create(bpmnFactory, "bpmn:Message", { name: value }, definitions);
        commands.push(update(element, definitions, { rootElements: [...roots, message] }));
      }
    }
    commands.push(update(element, definition, { messageRef: message || undefined }));
    commandStack.execute("properties-panel.multi-command-executor", commands);
  };
  return h(SelectEntry, {
    id,
    element,
    label: text().message,
    getValue,
    setValue,
    getOptions: () => options(catalog().messages, getValue(), text().choose, text().unknown),
  });
}

// --- the provider --------------------------------------------------------------------------

function groupsFor(element) {
  const bo = getBusinessObject(element);
  const entries = [];
  if (is(element, "bpmn:Lane")) {
    entries.push({ id: "spiff-lane-role", element, component: LaneRole, isEdited: isSelectEntryEdited });
  }
  if (is(element, "bpmn:UserTask") || is(element, "bpmn:ManualTask")) {
    entries.push({ id: "spiff-form-key", element, component: FormKey, isEdited: isSelectEntryEdited });
    entries.push({ id: "spiff-due-in", element, component: DueIn, isEdited: isSelectEntryEdited });
    entries.push({ id: "spiff-assignee", element, component: Assignee, isEdited: isTextFieldEntryEdited });
  }
  if (is(element, "bpmn:ServiceTask")) {
    entries.push({ id: "spiff-handler", element, component: Handler, isEdited: isSelectEntryEdited });
    entries.push({ id: "spiff-result", element, component: ResultVariable, isEdited: isTextFieldEntryEdited });
    const operator = operatorOf(bo);
    const handler = operator && catalog().handlers.find((item) => item.key === operator.get("id"));
    for (const parameter of handler ? handler.parameters : []) {
      entries.push({
        id: `spiff-parameter-${parameter.name}`,
        element,
        parameter,
        component: Parameter,
        isEdited: isTextFieldEntryEdited,
      });
    }
  }
  if ((is(element, "bpmn:IntermediateCatchEvent") || is(element, "bpmn:BoundaryEvent")) && messageDefinition(element)) {
    entries.push({ id: "spiff-message", element, component: Message, isEdited: isSelectEntryEdited });
  }
  return entries.length ? [{ id: "spiffworkflow", label: text().group, entries }] : [];
}

function SpiffPropertiesProvider(propertiesPanel) {
  this.getGroups = (element) => (groups) => {
    // Ours first: they are what the engine checks.
    return [...groupsFor(element), ...groups];
  };
  propertiesPanel.registerProvider(LOW_PRIORITY, this);
}
SpiffPropertiesProvider.$inject = ["propertiesPanel"];

export const SpiffPropertiesProviderModule = {
  __init__: ["spiffPropertiesProvider"],
  spiffPropertiesProvider: ["type", SpiffPropertiesProvider],
};
