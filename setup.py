"""Build hook: a wheel carries the shipped folders and compiled page catalogs.

`pip install .` copies themes/, templates/, static/, translations/ and migrations/
into the package as app/_data/ (see app/data_folders.py) and compiles each
translations/<lang>/LC_MESSAGES/messages.po into its .mo there. An editable install
(`pip install -e .`) uses the folders in place; the app compiles stale catalogs when
it starts (app/catalogs.py).
"""

import importlib.util
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SHIPPED = ("themes", "templates", "static", "translations", "migrations")
HERE = Path(__file__).resolve().parent


class BuildPyWithData(build_py):
    """build_py, then the shipped folders into build_lib/app/_data/ with compiled catalogs."""

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "app" / "_data"
        shutil.rmtree(target, ignore_errors=True)
        for name in SHIPPED:
            shutil.copytree(
                HERE / name,
                target / name,
                ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo", "*.pot"),
            )
        compile_catalogs(target / "translations")


def compile_catalogs(translations: Path) -> None:
    """Compile every .po under `translations` next to itself with app/catalogs.py (loaded
    by path: importing the `app` package would need Flask, which the build lacks)."""
    spec = importlib.util.spec_from_file_location("latchkey_catalogs", HERE / "app" / "catalogs.py")
    catalogs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(catalogs)
    catalogs.compile_stale(translations)


setup(cmdclass={"build_py": BuildPyWithData})
