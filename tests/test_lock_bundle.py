"""The committed Lock bundle (static/vendor/auth0-lock.min.js) is what `make
lock-bundle` builds from the auth0-lock, auth0-js and esbuild versions that
package-lock.json pins: a fresh build into a temporary file matches it byte for byte."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = ROOT / "static" / "vendor" / "auth0-lock.min.js"


def _pinned(name: str) -> str:
    packages = json.loads((ROOT / "package-lock.json").read_text("utf-8"))["packages"]
    return packages[f"node_modules/{name}"]["version"]


def test_package_json_pins_exact_versions_of_lock_and_esbuild():
    wanted = json.loads((ROOT / "package.json").read_text("utf-8"))["devDependencies"]
    for name in ("auth0-lock", "esbuild", "events"):
        assert wanted[name] == _pinned(name), name


def test_the_bundle_names_the_pinned_versions():
    banner = BUNDLE.read_text("utf-8").splitlines()[0]
    assert f"auth0-lock {_pinned('auth0-lock')} " in banner
    assert f"auth0-js {_pinned('auth0-js')}," in banner
    assert f"esbuild {_pinned('esbuild')} " in banner


def test_the_committed_bundle_matches_a_fresh_build(tmp_path):
    node = shutil.which("node")
    assert node, "node is needed (make test installs the npm packages with npm)"
    assert (ROOT / "node_modules" / "auth0-lock").is_dir(), "run `make node_modules/.installed`"
    fresh = tmp_path / "auth0-lock.min.js"
    subprocess.run(
        [node, str(ROOT / "bundles" / "build-lock.mjs"), str(fresh)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert fresh.read_bytes() == BUNDLE.read_bytes(), "the bundle is stale: run `make lock-bundle`"


def test_the_bundle_sets_lock_global_and_preloads_latchkeys_languages():
    text = BUNDLE.read_text("utf-8")
    assert "window.Auth0LockPasswordless=" in text
    assert "registerLanguageDictionary" in text
