// Chinese for the modeler's own most visible strings (palette, context pad, the properties
// panel's general groups). Anything not listed stays in English.
const ZH = {
  "Activate hand tool": "抓手工具",
  "Activate lasso tool": "套索工具",
  "Activate create/remove space tool": "插入/删除空间",
  "Activate global connect tool": "连线工具",
  "Create start event": "开始事件",
  "Create intermediate/boundary event": "中间/边界事件",
  "Create end event": "结束事件",
  "Create gateway": "网关",
  "Create task": "任务",
  "Create expanded sub-process": "展开的子流程",
  "Create data object reference": "数据对象",
  "Create data store reference": "数据存储",
  "Create pool/participant": "泳池",
  "Create group": "分组",
  "Append task": "追加任务",
  "Append end event": "追加结束事件",
  "Append gateway": "追加网关",
  "Append intermediate/boundary event": "追加中间事件",
  "Connect using sequence/message flow or association": "连线",
  "Connect to other element": "连接到其他元素",
  "Change element": "更改类型",
  "Delete": "删除",
  "Add lane above": "在上方添加泳道",
  "Add lane below": "在下方添加泳道",
  "Divide into two lanes": "拆分为两条泳道",
  "Divide into three lanes": "拆分为三条泳道",
  "Add text annotation": "添加注释",
  General: "常规",
  Name: "名称",
  ID: "标识",
  Documentation: "说明",
  "Element documentation": "元素说明",
  "Process documentation": "流程说明",
  "Process ID": "流程标识",
  "Process name": "流程名称",
  Executable: "可执行",
  Condition: "条件",
  "Condition expression": "条件表达式",
  Timer: "定时",
  Type: "类型",
  Value: "值",
  Duration: "时长",
  Date: "日期",
  Cycle: "周期",
  Message: "消息",
  "Multi-instance": "多实例",
  "<none>": "<无>",
};

function translate(template, replacements) {
  const text = ZH[template] || template;
  return text.replace(/{([^}]+)}/g, (_, key) => (replacements && key in replacements ? replacements[key] : `{${key}}`));
}

export const translateModule = { translate: ["value", translate] };
