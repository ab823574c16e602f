#!/usr/bin/env bash
# Smoke test of the Fiji overlay without Fiji: builds update-site/build/Fiji.app (update-site/build.sh), then makes a
# Fiji.app-like folder whose jars/ holds only
#   - the overlay's jars,
#   - the jars Fiji ships that the plugin needs (ij.jar = ImageJ 1, scijava-common, imglib2, parsington, gson, jna,
#     commons-compress/-io/-codec, slf4j-api: the versions of this project's Maven build),
#   - PyTorch's CPU natives supplied the documented offline way (pytorch-native-cpu-2.7.1-<platform>.jar in jars/),
# and runs, with that class path only (as Fiji's launcher builds it from jars/*.jar), no network (a new network
# namespace when `unshare -n` works, else DJL_OFFLINE=true) and an empty DJL cache, through `ies run`:
#   1. Segment Lesions on the demo subject, ground_truth left empty;
#   2. Explain Lesions of lesions 14 and 21 (N = 2, local context), labels and ground_truth left empty
#      (so it segments first), output_folder none;
#   3. the same without the natives jar, downloads allowed as in Fiji, no network: exit 1 with one clear line.
# Usage: update-site/smoke-test.sh [--no-build]. Exit 0 when both runs succeed with the expected outputs.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
[ "${1:-}" = "--no-build" ] || update-site/build.sh > /dev/null
overlay="$here/update-site/build/Fiji.app"
work="$(mktemp -d "${TMPDIR:-/tmp}/ies-smoke.XXXXXX")"
trap 'rm -rf "$work"' EXIT
app="$work/Fiji.app"
mkdir -p "$app"
cp -r "$overlay/." "$app/"
shipped=0
tr ':' '\n' < target/classpath.txt | while read -r dep || [ -n "$dep" ]; do
  case "$(basename "$dep")" in
    ij-*|imglib2-*|scijava-common-*|parsington-*|gson-*|jna-*|commons-compress-*|commons-io-*|commons-codec-*|slf4j-api-*)
      cp "$dep" "$app/jars/" ;;
    pytorch-native-cpu-*)
      cp "$dep" "$app/jars/" ;;   # the documented offline way: the natives jar from Maven Central into Fiji.app/jars
  esac
done
echo "class path: $(ls "$app/jars" | wc -l) jars in $app/jars (no other class path entry)"
ls "$app/jars" | sed 's/^/  /'
if ls "$app/jars" | grep -q -e '^api-' -e '^commons-codec-.*commons-codec-'; then echo "unexpected jar names" >&2; exit 1; fi

run() {
  local cmd=(java -Xmx4g -cp "$app/jars/*" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn io.github.ies.cli.IesCli run "$@")
  if unshare -n true 2>/dev/null; then
    env DJL_CACHE_DIR="$work/djl-cache" unshare -n "${cmd[@]}"
  else
    env DJL_CACHE_DIR="$work/djl-cache" DJL_OFFLINE=true "${cmd[@]}"
  fi
}
net="$(unshare -n true 2>/dev/null && echo 'no network (unshare -n)' || echo 'DJL_OFFLINE=true (unshare -n unavailable)')"
echo "network: $net; DJL cache: empty $work/djl-cache"

demo="$here/test-images/demo"
model="$here/test-images/models/demo-unet"
t0=$(date +%s.%N)
run "Segment Lesions" "flair=$demo/flair.nii.gz,mprage=$demo/mprage.nii.gz,model=$model" > "$work/segment.txt"
t1=$(date +%s.%N)
grep -E '^(probability|labels|lesions):' "$work/segment.txt"
rows=$(sed -n '/^lesions: table/,$p' "$work/segment.txt" | tail -n +3 | grep -c . || true)
echo "Segment Lesions: $(printf '%.1f' "$(echo "$t1 - $t0" | bc)") s, $rows lesion row(s) (no ground truth: no categories)"
[ "$rows" -gt 0 ] || { echo "Segment Lesions gave no lesion" >&2; exit 1; }

t0=$(date +%s.%N)
run "Explain Lesions" "flair=$demo/flair.nii.gz,mprage=$demo/mprage.nii.gz,model=$model,lesions=\"14,21\",samples=2,saliency_context=local" > "$work/explain.txt"
t1=$(date +%s.%N)
grep -E '^(gallery|overview|lesion_table):' "$work/explain.txt"
grep -q '^gallery: image .* 2 frame(s)' "$work/explain.txt" || { echo "Explain Lesions: no 2-frame gallery" >&2; exit 1; }
echo "Explain Lesions: $(printf '%.1f' "$(echo "$t1 - $t0" | bc)") s"
echo "natives extracted into the empty cache: $(ls "$work/djl-cache/pytorch" 2>/dev/null | tr '\n' ' ')"

# 3. A first run without natives, as in Fiji (downloads allowed: -Dies.djl.offline=false, the plugin's own switch),
#    but with no network: one clear line, exit 1.
rm -f "$app"/jars/pytorch-native-cpu-*.jar
rm -rf "$work/djl-cache"
set +e
(
  cmd=(java -Xmx1g -cp "$app/jars/*" -Dies.djl.offline=false io.github.ies.cli.IesCli run "Segment Lesions"
       "flair=$demo/flair.nii.gz,mprage=$demo/mprage.nii.gz,model=$model")
  if unshare -n true 2>/dev/null; then env DJL_CACHE_DIR="$work/djl-cache" unshare -n "${cmd[@]}"
  else env DJL_CACHE_DIR="$work/djl-cache" "${cmd[@]}"; fi
) > "$work/nonatives.out" 2> "$work/nonatives.err"
rc=$?
set -e
msg="$(grep -v -e '^SLF4J' -e '^\[' "$work/nonatives.err" | grep -v '^ies: PyTorch .* downloading them once' || true)"
echo "without natives and network: exit $rc, stderr: $msg"
[ "$rc" = 1 ] || { echo "expected exit 1" >&2; exit 1; }
[ "$(printf '%s\n' "$msg" | grep -c .)" = 1 ] || { echo "expected one line" >&2; exit 1; }
echo "$msg" | grep -q "could not be downloaded" || { echo "expected the download failure line" >&2; exit 1; }
echo "smoke test passed"
