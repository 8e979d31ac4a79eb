// dmn-js's decision-table labels in Chinese: a `translate` service replacing the default one
// (used when the page is in Chinese). Strings not listed stay in English.
const ZH = {
  "Hit policy:": "命中策略：",
  "Hit policy": "命中策略",
  Unique: "唯一（Unique）",
  First: "首个（First）",
  Priority: "优先（Priority）",
  Any: "任一（Any）",
  Collect: "汇集（Collect）",
  "Rule order": "规则顺序（Rule order）",
  "Output order": "输出顺序（Output order）",
  "No overlap is possible and all rules are disjoint. Only a single rule can be matched":
    "各行互不重叠，每个输入只能命中一行",
  When: "当",
  And: "且",
  Then: "则",
  Annotations: "说明",
  Annotation: "说明",
  "Decision name": "决策名称",
  "Decision name: ": "决策名称：",
  "Input label: ": "输入名称：",
  "Output label: ": "输出名称：",
  "Input type": "输入类型",
  "Output type": "输出类型",
  Input: "输入",
  Output: "输出",
  "Add input": "添加输入列",
  "Add output": "添加输出列",
  "Edit input": "编辑输入列",
  "Edit output": "编辑输出列",
  "Add rule": "添加一行",
  "Add rule above": "在上方添加一行",
  "Add rule below": "在下方添加一行",
  "Remove rule": "删除此行",
  "Copy rule": "复制此行",
  "Cut rule": "剪切此行",
  "Paste rule above": "粘贴到上方",
  "Paste rule below": "粘贴到下方",
  "Move rule": "移动此行",
  "Add cell description": "添加单元格说明",
  "Remove cell description": "删除单元格说明",
  "Edit number": "编辑数值",
  "Edit string": "编辑文本",
  Comparison: "比较",
  Range: "区间",
  Equals: "等于",
  Less: "小于",
  "Less or equals": "小于等于",
  Greater: "大于",
  "Greater or equals": "大于等于",
  Include: "包含",
  Exclude: "不含",
  Value: "值",
  Resize: "调整列宽",
};

function translate(template, replacements = {}) {
  return (ZH[template] || template).replace(/{([^}]+)}/g, (_, key) =>
    key in replacements ? replacements[key] : `{${key}}`,
  );
}

export default { translate: ["value", translate] };
