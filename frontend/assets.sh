#!/usr/bin/env bash
# Build-time assets taken from npm packages, never committed:
# - the DSFR from @gouvfr/dsfr: the stylesheets of the components the kit uses (DSFR_COMPONENTS,
#   after the core, in the DSFR's own order) and the kit's style.css, purged of every rule nothing
#   renders and minified by css.mjs into generated/kit.css (one stylesheet); the Marianne weights
#   that stylesheet still uses, subset with fontTools (Debian's python3-fonttools, installed by
#   ./x setup) to the Latin the kit's texts and agents' names need, in WOFF2; the icons those
#   stylesheets draw (alerts, external links) and the DSFR's favicon.ico;
# - the AgentConnect button artwork from @codegouvfr/react-dsfr, whose box colour is set to the
#   contract's #000091 (hover #1212ff): the package still ships the former #0A76F6 blue.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -d node_modules/@gouvfr/dsfr ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
fi
out=generated
mkdir -p "$out"
art=node_modules/@codegouvfr/react-dsfr/assets
sed 's/fill="#0A76F6"/fill="#000091"/' "$art/agentconnect-btn-principal.svg" > "$out/agentconnect-button.svg"
sed -e 's/fill="#2E94FA"/fill="#1212ff"/' -e 's/stroke="#0A76F6"/stroke="#1212ff"/' \
  "$art/agentconnect-btn-principal-hover.svg" > "$out/agentconnect-button-hover.svg"
grep -q '#000091' "$out/agentconnect-button.svg" || { echo "assets.sh: unexpected AgentConnect artwork (colour not found)" >&2; exit 1; }
grep -q '#1212ff' "$out/agentconnect-button-hover.svg" || { echo "assets.sh: unexpected AgentConnect hover artwork" >&2; exit 1; }

# The DSFR subset. Its url()s stay as the DSFR wrote them (../fonts/…, ../../icons/…): from the
# stylesheet at the site's root they resolve to /fonts/… and /icons/…, which Trunk copies below.
dsfr=node_modules/@gouvfr/dsfr/dist
DSFR_COMPONENTS=(badge logo button connect form link callout alert input footer header)
{
  cat "$dsfr/core/core.main.min.css"
  for component in "${DSFR_COMPONENTS[@]}"; do
    echo
    cat "$dsfr/component/$component/$component.main.min.css"
  done
} > "$out/dsfr-full.css"
# Purged and minified with style.css into kit.css; the Marianne files it still uses are listed in
# font-faces.txt.
node css.mjs

# Those fonts, subset: Basic Latin, Latin-1, Latin Extended-A and -B, the combining accents, Latin
# Extended Additional (Vietnamese names) and general punctuation (’ « » …), the euro and ™ signs.
# Hinting is dropped (two fifths of each file; it only changes small sizes on Windows).
rm -rf "$out/fonts" "$out/icons"
mkdir -p "$out/fonts" "$out/icons/system"
FONT_UNICODES=U+0000-024F,U+0300-036F,U+1E00-1EFF,U+2000-206F,U+20AC,U+2122
while read -r face; do
  /usr/bin/python3 -m fontTools.subset "$dsfr/fonts/$face.woff2" --unicodes="$FONT_UNICODES" \
    --flavor=woff2 --no-hinting --desubroutinize --output-file="$out/fonts/$face.woff2"
done < "$out/font-faces.txt"
for icon in fr--info-fill fr--warning-fill fr--success-fill fr--error-fill external-link-line; do
  cp "$dsfr/icons/system/$icon.svg" "$out/icons/system/"
done
# Browsers ask for /favicon.ico by themselves.
cp "$dsfr/favicon/favicon.ico" "$out/favicon.ico"
