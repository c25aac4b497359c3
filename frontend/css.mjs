// Builds the SPA's one stylesheet (called by assets.sh, at build time; nothing here is committed
// output): the DSFR subset that assets.sh concatenated (generated/dsfr-full.css) followed by the
// kit's own style.css, then
// - PurgeCSS (purgecss, pinned in package.json) keeps only the rules whose classes, elements and
//   attributes appear in what can render them: index.html (the static sign-in page) and the App's
//   sources (src/**/*.rs, the view! macros). The backend's own pages (backend/src/pages.rs,
//   account.rs) link no stylesheet, so they are not read. Classes built at run time are
//   safelisted below; unused custom properties, keyframes and @font-face rules go too;
// - the @font-face rules left are only the Marianne weights and styles some kept rule uses, in
//   WOFF2 only (assets.sh copies no WOFF file), and their weights are written to
//   generated/font-faces.txt (one `Marianne-<Name>` a line) for assets.sh to subset;
// - relative url()s are made absolute (the stylesheet is inlined into index.html);
// - Lightning CSS (lightningcss, pinned) minifies the result into generated/kit.css.
// Usage: node css.mjs (from frontend/).
import { readFileSync, writeFileSync } from "node:fs";
import { PurgeCSS } from "purgecss";
import { transform } from "lightningcss";

const out = "generated";
const css = readFileSync(`${out}/dsfr-full.css`, "utf8") + "\n" + readFileSync("style.css", "utf8");

const [purged] = await new PurgeCSS().purge({
  content: ["index.html", "src/**/*.rs"],
  css: [{ raw: css }],
  // The App's classes are literal strings in its view! macros: nothing to safelist.
  variables: true,
  keyframes: true,
  fontFace: true,
});

// The weights (and italics) the kept rules ask for. Marianne's own names for them.
const NAMES = { 300: "Light", 400: "Regular", 500: "Medium", 700: "Bold" };
let text = purged.css;
const used = new Set(["400 normal"]); // the body's text
for (const rule of text.matchAll(/\{([^{}]*)\}/g)) {
  const body = rule[1];
  if (/src\s*:/.test(body)) continue; // an @font-face itself
  const weight = body.match(/font-weight\s*:\s*(\d+|bold|normal)/);
  const style = body.match(/font-style\s*:\s*(italic)/);
  if (!weight && !style) continue;
  const w = weight ? { bold: "700", normal: "400" }[weight[1]] ?? weight[1] : "400";
  used.add(`${w} ${style ? "italic" : "normal"}`);
}
// The italic of <em>/<i> and of `font-style: italic` without a weight is the Regular italic.
const faces = [];
text = text.replace(/@font-face\s*\{([^}]*)\}/g, (whole, body) => {
  const family = body.match(/font-family\s*:\s*"?([\w ]+)"?/)?.[1];
  const weight = body.match(/font-weight\s*:\s*(\d+)/)?.[1];
  const style = body.match(/font-style\s*:\s*(\w+)/)?.[1] ?? "normal";
  if (family !== "Marianne" || !used.has(`${weight} ${style}`) || !NAMES[weight]) return "";
  const file = `Marianne-${NAMES[weight]}${style === "italic" ? "_Italic" : ""}`;
  faces.push(file);
  // WOFF2 only: every browser that runs the Wasm reads it.
  return whole.replace(/src\s*:[^;}]*/, `src:url(../fonts/${file}.woff2) format("woff2")`);
});
if (!faces.includes("Marianne-Regular")) throw new Error("css.mjs: no Marianne Regular @font-face left");

// index.html inlines the stylesheet (a <style>, allowed by its hash in the backend's CSP), where
// relative url()s would resolve against the page's path: made absolute from the site's root,
// where Trunk copies fonts/, icons/ and the button artwork (the DSFR's ../fonts/ and ../../icons/
// meant the same from its dist/ folders).
text = text.replace(/url\(\s*(["']?)(?!data:|\/|https?:)(?:\.\.\/)*([^"')]+)\1\s*\)/g, "url($1/$2$1)");

const { code, warnings } = transform({ filename: "kit.css", code: Buffer.from(text), minify: true });
for (const w of warnings) console.error(`css.mjs: ${w.message}`);
writeFileSync(`${out}/kit.css`, code);
writeFileSync(`${out}/font-faces.txt`, faces.join("\n") + "\n");
console.error(`css.mjs: ${css.length} → ${code.length} bytes; fonts: ${faces.join(", ")}`);
