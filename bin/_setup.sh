# Shared by bin/run-app and bin/test: make this machine able to run the project.
# Sourced, not run. Every step checks first, so a machine that has everything is quick.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
PYTHON_BIN="${PYTHON_BIN:-python3.11}"
command -v "$PYTHON_BIN" >/dev/null 2>&1 || PYTHON_BIN=python3

say() { printf '\n==> %s\n' "$*"; }

# System packages: WeasyPrint's Pango and fonts (PDFs), poppler (reading PDFs in tests),
# Debian's Chromium and Node.js (browser tests, with axe-core from package-lock.json), and
# the PostgreSQL/Redis clients.
SYSTEM_PACKAGES_APP=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
  fonts-liberation shared-mime-info)
SYSTEM_PACKAGES_TEST=(chromium nodejs poppler-utils postgresql-client redis-tools)

install_system_packages() {
  local missing=()
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
      || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "Installing system packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

install_python_packages() {
  local extras="$1"
  if [ ! -x "$VENV/bin/python" ]; then
    say "Creating the virtual environment in $VENV"
    "$PYTHON_BIN" -m venv "$VENV"
  fi
  say "Installing Python packages"
  "$VENV/bin/python" -m pip install -q --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
  # constraints.txt pins every version the suite last passed with.
  "$VENV/bin/python" -m pip install -q -c "$ROOT/constraints.txt" "$ROOT$extras" 2>&1 \
    | grep -v "^WARNING: Location" || true
  "$VENV/bin/python" -c "import django, django_fsm, celery, weasyprint" \
    || { echo "Python packages did not install" >&2; exit 1; }
}

install_test_javascript() {
  # axe-core for the accessibility checks in tests/browser, exactly as package-lock.json pins
  # it (and checks its integrity). Test-only: the app itself needs no Node.js.
  # Debian ships npm as its own package; NodeSource's nodejs includes it (and conflicts
  # with Debian's npm), so install it only when the command is missing.
  command -v npm >/dev/null 2>&1 || install_system_packages npm
  say "Installing test JavaScript (npm ci)"
  (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
}
