#!/usr/bin/env bash
# Builds a Fiji.app-shaped folder, update-site/build/Fiji.app, holding the IES plugin jar, the runtime dependencies
# that Fiji does not ship and the Jython examples. Copy its contents into your Fiji.app (or, from a clean Fiji.app,
# upload it as an update site with Fiji's own updater: docs/fiji.md, "Publishing").
#
#   update-site/build.sh [--with-natives]
#
# --with-natives also copies DJL's PyTorch CPU natives for this machine's platform
# (jars/pytorch-native-cpu-2.7.1-<platform>.jar, about 110 MB) for an offline install. Do not upload that jar to an
# update site: the updater would send it to every platform; users elsewhere get theirs from DJL's download.
#
# What is not copied, and what is renamed (see update-site/fiji-ships.txt):
#  - jars Fiji already ships (ij, imglib2, scijava-common, gson, commons-codec, jna, slf4j, ...);
#  - DJL's jars get a "djl-" prefix: the updater strips versions, so api-0.36.0.jar would be jars/api.jar, the name
#    an older deepImageJ uses for its own DJL.
# The build fails when our jar lacks SciJava's plugin index (an empty menu) or when a file would clash in the updater.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
natives=0
for a in "$@"; do
  case "$a" in
    --with-natives) natives=1 ;;
    *) echo "usage: update-site/build.sh [--with-natives]" >&2; exit 2 ;;
  esac
done
mvn -q -B -ntp -DskipTests package
out="$here/update-site/build/Fiji.app"
rm -rf "$out"
mkdir -p "$out/jars" "$out/scripts/Plugins/Instance_Saliency"
jar="$(ls target/ies-fiji-*.jar | grep -v -e '-sources' -e '-javadoc' | head -n 1)"
cp "$jar" "$out/jars/"
skip="$(grep -v -e '^#' -e '^!' -e '^$' update-site/fiji-ships.txt | sed -e 's#^jars/##' -e 's#\.jar$##')"
tr ':' '\n' < target/classpath.txt | while read -r dep || [ -n "$dep" ]; do
  [ -n "$dep" ] || continue
  name="$(basename "$dep")"
  base="$(echo "$name" | sed -E 's/-[0-9][0-9A-Za-z.]*(-[0-9][0-9A-Za-z.]*)*(-[a-z0-9_]+-[a-z0-9_]+)?\.jar$//')"
  if echo "$skip" | grep -qx -- "$base"; then continue; fi
  case "$name" in
    pytorch-native-*)
      if [ "$natives" = 1 ]; then cp "$dep" "$out/jars/"; fi ;;
    api-*|pytorch-engine-*|pytorch-jni-*)
      cp "$dep" "$out/jars/djl-$name" ;;
    *) cp "$dep" "$out/jars/" ;;
  esac
done
if [ -d scripts/fiji ]; then cp -r scripts/fiji/. "$out/scripts/Plugins/Instance_Saliency/"; fi
# the updater's view of the overlay, and the plugin index in our jar
scijava="$(tr ':' '\n' < target/classpath.txt | grep '/scijava-common-[^/]*\.jar$' | head -n 1)"
java -cp "$jar:$scijava" io.github.ies.fiji.UpdateSiteCheck "$out" update-site/fiji-ships.txt ies-fiji-
echo "Fiji layout written to $out:"
(cd "$out" && find . -type f | sort)
