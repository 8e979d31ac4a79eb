// Bundles every entry in app/static/src/*.js (and its CSS imports) into app/static/build/.
// One bundle per page keeps each page's download to what it uses.
import { build } from "esbuild";
import { readdirSync } from "node:fs";

const src = "app/static/src";
const entryPoints = readdirSync(src)
  .filter((name) => name.endsWith(".js") && !name.startsWith("_"))
  .map((name) => `${src}/${name}`);

await build({
  entryPoints,
  bundle: true,
  minify: true,
  sourcemap: true,
  format: "iife",
  target: ["chrome120"],
  outdir: "app/static/build",
  loader: { ".woff": "file", ".woff2": "file", ".eot": "file", ".ttf": "file", ".svg": "file" },
  logLevel: "warning",
});
console.log(`built ${entryPoints.length} bundle(s) into app/static/build/`);
