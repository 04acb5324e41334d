#!/bin/sh
# Set up briefgen in ./.venv on Debian/Ubuntu: system libraries, then Python packages.
#   sh setup.sh          what building needs (Pango, HarfBuzz subsetting for WeasyPrint)
#   sh setup.sh --test   also what the tests need (qpdf, poppler, LibreOffice Writer, and
#                        chromium, which Playwright drives for the preview's browser test)
set -eu
cd "$(dirname "$0")"

python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
  echo "setup: briefgen needs Python 3.11 or newer; python3 is $(python3 -V 2>&1)" >&2; exit 1; }

packages="libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0"
# Debian splits venv/ensurepip out of python3.
python3 -c 'import ensurepip, venv' 2>/dev/null || packages="$packages python3-venv"
extra=""
if [ "${1:-}" = "--test" ]; then
  packages="$packages qpdf poppler-utils libreoffice-writer-nogui fonts-noto-core fonts-dejavu-core"
  # Debian packages chromium; Ubuntu ships it as a snap only (the browser test then skips).
  if apt-cache show chromium >/dev/null 2>&1; then packages="$packages chromium"; else
    echo "setup: no chromium package here: the preview's browser test will be skipped" >&2
  fi
  extra="[test]"
fi

missing=""
for package in $packages; do
  [ "$package" = python3-venv ] && { missing="$missing $package"; continue; }
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
# pip's own chatter goes to a log, shown only when the install fails.
.venv/bin/python -m pip install -q --upgrade pip >.venv/setup.log 2>&1 \
  && .venv/bin/python -m pip install -q -e ".$extra" >>.venv/setup.log 2>&1 \
  || { cat .venv/setup.log >&2; echo "setup: pip install failed (log above)" >&2; exit 1; }
echo "setup: ready (.venv/bin/briefgen)"
