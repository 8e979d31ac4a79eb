// The supervisors' dashboards (统计分析): one ECharts chart per panel, drawn from the figures
// the page embeds (#statistics-data, the same as GET /api/v1/statistics). Each chart's box
// carries an aria-label and its panel a data table, so the charts are not the only way in.
import * as echarts from "echarts/core";
import { BarChart, LineChart, PieChart } from "echarts/charts";
import {
  AriaComponent,
  GridComponent,
  LegendComponent,
  TooltipComponent,
} from "echarts/components";
import { SVGRenderer } from "echarts/renderers";
import "./statistics.css";

echarts.use([
  BarChart,
  LineChart,
  PieChart,
  AriaComponent,
  GridComponent,
  LegendComponent,
  TooltipComponent,
  SVGRenderer,
]);

const GRADE_ORDER = ["excellent", "competent", "basically_competent", "incompetent"];
const GRADE_COLOURS = {
  excellent: "#1a7f37",
  competent: "#1d5fa8",
  basically_competent: "#b54708",
  incompetent: "#b42318",
};
const FINDING_COLOURS = {
  open: "#b54708",
  rectified: "#8e6c00",
  confirmed: "#b42318",
  dismissed: "#616e7c",
};

const read = (id) => JSON.parse(document.getElementById(id).textContent);
const figures = read("statistics-data");
const labels = read("statistics-labels");
const number = (text) => (text === null || text === undefined ? null : Number(text));
const gradeName = (key) => labels.grades[key] || key;
const english = document.documentElement.lang === "en";
const t = (zh, en) => (english ? en : zh);

function grades() {
  const rows = figures.grades;
  return {
    tooltip: { trigger: "item" },
    legend: { bottom: 0 },
    series: [
      {
        type: "pie",
        radius: ["35%", "65%"],
        label: { formatter: "{b}: {c}" },
        data: rows.map((g) => ({
          name: gradeName(g.grade),
          value: g.count,
          itemStyle: { color: GRADE_COLOURS[g.grade] },
        })),
      },
    ],
  };
}

function ranking() {
  const rows = [...figures.ranking].reverse(); // best at the top of a horizontal bar chart
  return {
    tooltip: { trigger: "axis" },
    grid: { left: 8, right: 48, top: 8, bottom: 8, containLabel: true },
    xAxis: { type: "value", min: 0, max: 100 },
    yAxis: { type: "category", data: rows.map((r) => r.department) },
    series: [
      {
        type: "bar",
        name: t("最终得分", "Final score"),
        data: rows.map((r) => ({
          value: number(r.score),
          itemStyle: { color: GRADE_COLOURS[r.grade] || "#1d5fa8" },
        })),
        label: { show: true, position: "right", formatter: (p) => `${p.value}` },
      },
    ],
  };
}

function indicators() {
  const rows = figures.indicators;
  return {
    tooltip: {
      trigger: "axis",
      formatter: (params) => {
        const row = rows[params[0].dataIndex];
        return [
          t(`${row.name}（${row.code}）`, `${row.name} (${row.code})`),
          `${t("达标率", "Achieved")}: ${row.achievement_rate ?? "—"}%`,
          `${t("达标/已有实际值/科室", "Achieved/measured/departments")}: ${row.achieved}/${row.measured}/${row.departments}`,
          `${t("平均目标值", "Mean target")}: ${row.average_target} ${row.unit}`,
          `${t("平均实际值", "Mean actual")}: ${row.average_actual ?? "—"} ${row.unit}`,
        ].join("<br>");
      },
    },
    grid: { left: 8, right: 16, top: 24, bottom: 8, containLabel: true },
    // Every name shown, tilted past five and cut to a fixed width (the tooltip has it whole).
    xAxis: {
      type: "category",
      data: rows.map((r) => r.name),
      axisLabel: {
        interval: 0,
        rotate: rows.length > 5 ? 40 : 0,
        width: rows.length > 5 ? 96 : 160,
        overflow: "truncate",
      },
    },
    yAxis: { type: "value", min: 0, max: 100, name: "%" },
    series: [
      {
        type: "bar",
        name: t("达标率", "Achieved"),
        data: rows.map((r) => number(r.achievement_rate)),
        itemStyle: { color: "#1a7f37" },
        label: { show: true, position: "top", formatter: (p) => (p.value === null ? "" : `${p.value}%`) },
      },
    ],
  };
}

function ratingSeries(rows, key, stack) {
  const present = new Set(rows.flatMap((row) => Object.keys(row[key])));
  return GRADE_ORDER.filter((g) => present.has(g))
    .concat([...present].filter((g) => !GRADE_ORDER.includes(g)))
    .map((g) => ({
      type: "bar",
      stack,
      name: gradeName(g),
      itemStyle: { color: GRADE_COLOURS[g] },
      data: rows.map((row) => row[key][g] || 0),
    }));
}

function scoreLine(rows, name) {
  return {
    type: "line",
    name,
    yAxisIndex: 1,
    connectNulls: true,
    itemStyle: { color: "#1f2933" },
    data: rows.map((row) => number(row.average_score)),
  };
}

function quarters() {
  const rows = figures.quarters;
  return {
    tooltip: { trigger: "axis" },
    legend: { bottom: 0 },
    grid: { left: 8, right: 8, top: 32, bottom: 40, containLabel: true },
    xAxis: { type: "category", data: rows.map((q) => t(`第${q.quarter}季度`, `Q${q.quarter}`)) },
    yAxis: [
      { type: "value", name: t("科室数", "Departments"), minInterval: 1 },
      { type: "value", name: t("平均得分", "Mean score"), min: 0, max: 100 },
    ],
    series: [...ratingSeries(rows, "ratings", "ratings"), scoreLine(rows, t("平均得分", "Mean score"))],
  };
}

function years() {
  const rows = figures.years_trend;
  return {
    tooltip: { trigger: "axis" },
    legend: { bottom: 0 },
    grid: { left: 8, right: 8, top: 32, bottom: 40, containLabel: true },
    xAxis: { type: "category", data: rows.map((y) => String(y.year)) },
    yAxis: [
      { type: "value", name: t("科室数", "Departments"), minInterval: 1 },
      { type: "value", name: t("平均得分", "Mean score"), min: 0, max: 100 },
    ],
    series: [...ratingSeries(rows, "grades", "grades"), scoreLine(rows, t("平均得分", "Mean score"))],
  };
}

function findings() {
  const rows = figures.findings;
  const statuses = Object.keys(labels.findings).filter((s) => rows.some((m) => m.statuses[s]));
  return {
    tooltip: { trigger: "axis" },
    legend: { bottom: 0 },
    grid: { left: 8, right: 8, top: 32, bottom: 40, containLabel: true },
    xAxis: { type: "category", data: rows.map((m) => t(`${m.month}月`, String(m.month))) },
    yAxis: [
      { type: "value", name: t("问题数", "Findings"), minInterval: 1 },
      { type: "value", name: t("认定扣分", "Points deducted") },
    ],
    series: [
      ...statuses.map((s) => ({
        type: "bar",
        stack: "findings",
        name: labels.findings[s],
        itemStyle: { color: FINDING_COLOURS[s] },
        data: rows.map((m) => m.statuses[s] || 0),
      })),
      {
        type: "line",
        name: t("认定扣分", "Points deducted"),
        yAxisIndex: 1,
        itemStyle: { color: "#1f2933" },
        data: rows.map((m) => number(m.confirmed_points)),
      },
    ],
  };
}

const OPTIONS = { grades, ranking, indicators, quarters, years, findings };
const charts = [];

for (const box of document.querySelectorAll("[data-chart]")) {
  const build = OPTIONS[box.dataset.chart];
  if (!build) continue;
  const chart = echarts.init(box, null, { renderer: "svg" });
  // ECharts' own aria text would replace the box's label; give it the same description.
  chart.setOption({
    aria: { enabled: true, label: { description: box.getAttribute("aria-label") } },
    animation: false,
    ...build(),
  });
  box.dataset.rendered = "true";
  charts.push(chart);
}
window.addEventListener("resize", () => charts.forEach((chart) => chart.resize()));
