#!/usr/bin/env bash
# Lays out the front-end files the service serves, exactly as the image has them (the Dockerfile runs this script,
# and so does tests/integration/test_deployment_static.py):
#   deploy/build-static.sh SITE
# installs the front-end packages from package-lock.json (`npm ci --omit=dev`: the runtime ones only) and puts
# Designsystemet's CSS into SITE/node_modules/@digdir/designsystemet-css/dist, where the app reads it: SITE is the
# folder that holds the installed referral_service package (referral_service/web/__init__.py, designsystemet_dist).
set -euo pipefail
[ "$#" -eq 1 ] || { echo "usage: $0 SITE (the folder that holds the referral_service package)" >&2; exit 2; }
site="$1"
project="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cp "$project/package.json" "$project/package-lock.json" "$work/"
(cd "$work" && npm ci --omit=dev --prefer-offline --no-audit --no-fund --loglevel=error)

package="node_modules/@digdir/designsystemet-css"
for stylesheet in dist/theme/designsystemet.css dist/src/index.css; do  # the two that _stylesheets.html links
  [ -f "$work/$package/$stylesheet" ] || { echo "build-static: npm gave no $package/$stylesheet" >&2; exit 1; }
done
rm -rf "${site:?}/$package"
mkdir -p "$site/$package"
cp -R "$work/$package/dist" "$site/$package/dist"
cp "$work/$package/package.json" "$site/$package/"             # its version, for whoever looks in the image
cp "$work/$package"/LICENSE* "$site/$package/" 2>/dev/null || true  # its licence travels with it
echo "build-static: Designsystemet CSS $(sed -n -E 's/^  "version": "(.*)",$/\1/p' "$site/$package/package.json") in $site/$package"
