"""Pages as a person sees them: a headless browser's screenshot of a self-contained HTML page."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from matplotlib.image import imread

BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def inked_share(html: str, folder: Path, name: str) -> float:
    """The share of the page's screenshot (1280 pixels wide) that is not its white background."""
    browser = next(filter(None, map(shutil.which, BROWSERS)), None)
    if browser is None:
        pytest.skip(f"no headless browser here ({', '.join(BROWSERS)}): the template's CI installs chromium")
    page, screenshot = folder / f"{name}.html", folder / f"{name}.png"
    page.write_text(html)
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1280,2400"]
    command += [f"--screenshot={screenshot}", page.as_uri()]
    subprocess.run(command, capture_output=True, timeout=120, check=True)
    return float((imread(screenshot)[..., :3] < 0.99).any(axis=-1).mean())
