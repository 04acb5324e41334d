#!/bin/sh
# Set up briefgen in ./.venv on Debian/Ubuntu: system libraries, then Python packages.
#   sh setup.sh          what building needs (Pango, HarfBuzz subsetting for WeasyPrint)
#   sh setup.sh --test   also what the tests need (qpdf, poppler, LibreOffice Writer)
set -eu
cd "$(dirname "$0")"

packages="libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0"
extra=""
if [ "${1:-}" = "--test" ]; then
  packages="$packages qpdf poppler-utils libreoffice-writer-nogui fonts-noto-core"
  extra="[test]"
fi

missing=""
for package in $packages; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
    || missing="$missing $package"
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo"; else
    echo "setup: please install these Debian packages first:$missing" >&2; exit 1
  fi
  echo "setup: installing$missing"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e ".$extra"
echo "setup: ready (.venv/bin/briefgen)"
