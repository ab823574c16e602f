#!/usr/bin/env bash
# Builds a Fiji.app-shaped folder (update-site/build/Fiji.app) holding the IES plugin jar and the runtime
# dependencies that Fiji does not ship. Copy its contents into your Fiji.app (or upload it as an update site
# with Fiji's own updater, see README) to install the plugin.
#
# Not bundled on purpose:
#  - jars Fiji already ships (ij, imglib2, scijava-common, gson, slf4j, ...);
#  - DJL's PyTorch native libraries (pytorch-native-cpu, several hundred MB): DJL downloads the natives that match
#    the machine (CPU or CUDA) on first use, or uses a local libtorch 2.7.1 (PYTORCH_LIBRARY_PATH); see README.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
mvn -q -DskipTests package
out="$here/update-site/build/Fiji.app"
rm -rf "$out"
mkdir -p "$out/jars" "$out/scripts/Plugins/Instance_Saliency"
cp target/ies-fiji-*.jar "$out/jars/"
# Runtime dependencies Fiji lacks (everything else is provided by Fiji).
tr ':' '\n' < target/classpath.txt | while read -r jar; do
  name="$(basename "$jar")"
  case "$name" in
    ij-*|imglib2-*|scijava-*|gson-*|slf4j-*|parsington-*|junit-*|hamcrest-*) ;;   # in Fiji
    commons-compress-*|commons-io-*|jna-*|error_prone_annotations-*) ;;          # in Fiji (other versions)
    pytorch-native-*) ;;                                                         # natives: fetched by DJL
    *) cp "$jar" "$out/jars/" ;;
  esac
done
if [ -d scripts/fiji ]; then cp -r scripts/fiji/. "$out/scripts/Plugins/Instance_Saliency/"; fi
echo "Fiji layout written to $out:"
(cd "$out" && find . -type f | sort)
