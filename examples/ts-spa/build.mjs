// Builds the example into dist/: type-checks with tsc (so a drift of src/generated/api.ts from
// the Rust types breaks the build), bundles src/main.ts and src/style.css (the DSFR from
// node_modules, its fonts and icons copied as files) with esbuild under hashed names, and writes
// dist/index.html pointing at them. No inline script or style: the BFF's CSP refuses them.
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
process.chdir(here);

try {
  execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "--noEmit", "-p", "tsconfig.json"], {
    stdio: "inherit",
  });
} catch {
  console.error("build.mjs: the type check failed (tsc, above) / la vérification des types a échoué");
  process.exit(1);
}

rmSync("dist", { recursive: true, force: true });
const result = await build({
  absWorkingDir: here,
  entryPoints: { app: "src/main.ts", style: "src/style.css" },
  bundle: true,
  minify: true,
  format: "esm",
  target: "es2022",
  outdir: "dist",
  entryNames: "[name]-[hash]",
  assetNames: "assets/[name]-[hash]",
  loader: { ".woff2": "file", ".woff": "file", ".svg": "file" },
  metafile: true,
  logLevel: "warning",
});

const outputs = Object.entries(result.metafile.outputs);
const entry = (name) => {
  const found = outputs.find(([, output]) => output.entryPoint === name);
  if (!found) throw new Error(`build.mjs: esbuild produced nothing for ${name}`);
  return basename(found[0]);
};
const html = readFileSync("index.html", "utf8")
  .replace("%SCRIPT%", entry("src/main.ts"))
  .replace("%STYLE%", entry("src/style.css"));
writeFileSync("dist/index.html", html);
console.log(`examples/ts-spa/dist: ${outputs.length + 1} files`);
