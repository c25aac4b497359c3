#!/usr/bin/env bash
# Build-time assets taken from npm packages, never committed:
# - the DSFR (CSS, Marianne fonts) from @gouvfr/dsfr;
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
