#!/usr/bin/env bash
# Build-time assets taken from npm packages, never committed:
# - the DSFR from @gouvfr/dsfr: only the stylesheets of the components the kit uses (DSFR_COMPONENTS,
#   after the core, in the DSFR's own order) concatenated into generated/dsfr.css, the Marianne
#   fonts in WOFF2 (what every browser the Wasm runs in loads; no Spectral, which the kit never
#   shows) and the icons those stylesheets draw (alerts, external links);
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
} > "$out/dsfr.css"
rm -rf "$out/fonts" "$out/icons"
mkdir -p "$out/fonts" "$out/icons/system"
cp "$dsfr"/fonts/Marianne-*.woff2 "$out/fonts/"
for icon in fr--info-fill fr--warning-fill fr--success-fill fr--error-fill external-link-line; do
  cp "$dsfr/icons/system/$icon.svg" "$out/icons/system/"
done
