#!/bin/sh
# Re-download the pinned browser libraries from the npm registry and copy the files the UI loads.
# Usage: webui/static/vendor/refresh.sh   (needs npm and tar; run from anywhere)
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
MARKED=18.2.1
DOMPURIFY=3.4.18
HLJS=11.12.0
KATEX=0.19.1
LANGS="bash c cpp css diff go java javascript json markdown plaintext python rust shell sql typescript xml yaml"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
npm pack --silent "marked@$MARKED" "dompurify@$DOMPURIFY" "@highlightjs/cdn-assets@$HLJS" \
  "katex@$KATEX" >/dev/null
for pkg in marked dompurify hljs katex; do mkdir "$pkg"; done
tar xzf "marked-$MARKED.tgz" -C marked
tar xzf "dompurify-$DOMPURIFY.tgz" -C dompurify
tar xzf "highlightjs-cdn-assets-$HLJS.tgz" -C hljs
tar xzf "katex-$KATEX.tgz" -C katex

rm -rf "$HERE/marked" "$HERE/dompurify" "$HERE/highlight" "$HERE/katex"
mkdir -p "$HERE/marked" "$HERE/dompurify" "$HERE/highlight/languages" "$HERE/katex"
cp marked/package/lib/marked.esm.js marked/package/LICENSE* "$HERE/marked/"
cp dompurify/package/dist/purify.es.mjs "$HERE/dompurify/purify.es.js"
cp dompurify/package/LICENSE "$HERE/dompurify/"
cp hljs/package/es/core.min.js hljs/package/LICENSE "$HERE/highlight/"
for lang in $LANGS; do
  cp "hljs/package/es/languages/$lang.min.js" "$HERE/highlight/languages/"
done
# KaTeX renders MathML only (output: "mathml"), so its CSS and fonts are not needed.
cp katex/package/dist/katex.mjs "$HERE/katex/katex.js"
cp katex/package/LICENSE "$HERE/katex/"
find "$HERE" -name "*.js" -exec sed -i "/^\/\/# sourceMappingURL=/d" {} +
echo "vendored marked $MARKED, dompurify $DOMPURIFY, highlight.js $HLJS, katex $KATEX into $HERE"
