#!/usr/bin/env bash
# Vendor YASGUI, the SPARQL query editor of the web UI, from the npm registry into
# mlkg/server/static/yasgui/ — the server then needs no CDN at runtime.
#
# What it does: `npm pack @zazuko/yasgui@<VERSION>` (the published tarball, nothing built here),
# checks the package declares the MIT licence, copies the browser bundle (build/yasgui.min.js,
# build/yasgui.min.css) byte for byte, writes LICENSE (the package's own licence file when the
# tarball has one; the 4.x tarballs have none, so the MIT text with the package's authors) and
# SOURCE.json (name, version, tarball URL, npm integrity, sha256 of each vendored file).
# The result is committed; re-run this script only to change the pinned version.
#
# Usage: scripts/vendor-yasgui.sh [VERSION]     (default: the pinned version below)
# Needs: npm, node, tar, sha256sum.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION="${1:-4.6.2}"
PACKAGE="@zazuko/yasgui"
DEST="mlkg/server/static/yasgui"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --json --loglevel=error "$PACKAGE@$VERSION" > pack.json)
tarball="$(node -p "require('$work/pack.json')[0].filename")"
tar -xzf "$work/$tarball" -C "$work"
pkg="$work/package"

license="$(node -p "require('$pkg/package.json').license")"
if [ "$license" != "MIT" ]; then
    echo "vendor-yasgui: $PACKAGE@$VERSION declares licence '$license', not MIT: not vendoring" >&2
    exit 1
fi

rm -rf "$DEST"
mkdir -p "$DEST"
cp "$pkg/build/yasgui.min.js" "$pkg/build/yasgui.min.css" "$DEST/"

shipped_license="$(find "$pkg" -maxdepth 1 -iname 'licen[cs]e*' | head -n 1)"
if [ -n "$shipped_license" ]; then
    cp "$shipped_license" "$DEST/LICENSE"
else
    authors="$(node -p "const p = require('$pkg/package.json');
        [p.author, ...(p.contributors || [])].filter(Boolean)
          .map(a => typeof a === 'string' ? a : a.name).join(', ')")"
    cat > "$DEST/LICENSE" <<LICENSE
$PACKAGE $VERSION — https://github.com/rdfjs/Yasgui
The npm package declares "license": "MIT" in its package.json but ships no licence file;
this is the MIT licence text with the package's author and contributors ($authors).
The bundle also contains the package's dependencies (CodeMirror, DOMPurify, lodash-es,
sortablejs, choices.js, ...) under their own permissive licences.

The MIT License (MIT)

Copyright (c) $authors

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
LICENSE
fi

node -e "
const fs = require('fs'), crypto = require('crypto');
const pack = require('$work/pack.json')[0];
const files = {};
for (const name of ['yasgui.min.js', 'yasgui.min.css']) {
  files[name] = crypto.createHash('sha256').update(fs.readFileSync('$DEST/' + name)).digest('hex');
}
const source = {
  name: pack.name, version: pack.version, license: '$license',
  tarball: 'https://registry.npmjs.org/' + pack.name + '/-/' + pack.name.split('/')[1] + '-' + pack.version + '.tgz',
  integrity: pack.integrity, files,
  vendored_by: 'scripts/vendor-yasgui.sh',
};
fs.writeFileSync('$DEST/SOURCE.json', JSON.stringify(source, null, 2) + '\n');
"
echo "vendor-yasgui: $PACKAGE@$VERSION ($license) -> $DEST" >&2
