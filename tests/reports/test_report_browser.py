"""The page in a real browser: headless Chromium renders it, Chinese included.

Chromium and a CJK font are Debian packages (``apt-get install -y chromium fonts-noto-cjk``);
CI installs them. Without them this test fails rather than skips, so a missing install is
seen. The screenshot is kept under the test's tmp folder and, when DUKAN_REPORT_SCREENSHOT
names a file, copied there too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from orchestration.reports import formatting as fmt

from .conftest import REPORT_MONTH, Built
from .test_report_html import SECTION_HEADINGS

pytestmark = pytest.mark.slow

INSTALL = "install it with: apt-get install -y chromium fonts-noto-cjk (CI installs it)"
WINDOW = (1400, 4000)
BANNER_BACKGROUND = (0xFF, 0xF3, 0xCD)


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None and Path("/usr/bin/chromium").exists():
        found = "/usr/bin/chromium"
    if found is None:
        pytest.fail(f"headless Chromium is needed for this test and was not found; {INSTALL}")
    return found


def run_chromium(profile: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """One headless run in a fresh profile, with every background fetch turned off."""
    command = [
        chromium(), "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-background-networking", "--disable-component-update", "--no-first-run",
        "--disable-sync", f"--user-data-dir={profile}", *arguments,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)


def test_a_cjk_font_is_installed() -> None:
    if shutil.which("fc-list") is None:
        pytest.fail(f"fc-list (fontconfig) is missing; {INSTALL}")
    fonts = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True,
                           check=True).stdout
    assert fonts.strip(), f"no font with Chinese glyphs is installed; {INSTALL}"


def test_chromium_renders_the_chinese_page(built: Built, tmp_path: Path) -> None:
    url = built.files.html.resolve().as_uri()

    dumped = run_chromium(tmp_path / "dom-profile", "--dump-dom", url)

    assert dumped.returncode == 0, dumped.stderr[-2000:]
    dom = dumped.stdout
    assert f"报告期 period <strong>{REPORT_MONTH}</strong>" in dom
    assert "模拟数据 SIMULATED" in dom
    for heading in SECTION_HEADINGS:
        assert f"<h2>{heading}" in dom
    assert dom.count('data-status="') >= 75


def test_screenshot_shows_banner_charts_and_heat_map(built: Built, tmp_path: Path) -> None:
    screenshot = tmp_path / f"dispatch_report_{REPORT_MONTH}.png"

    shot = run_chromium(tmp_path / "shot-profile", f"--screenshot={screenshot}",
                        f"--window-size={WINDOW[0]},{WINDOW[1]}", built.files.html.as_uri())

    assert shot.returncode == 0 and screenshot.exists(), shot.stderr[-2000:]
    if target := os.environ.get("DUKAN_REPORT_SCREENSHOT"):
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(screenshot, target)
    image = Image.open(screenshot).convert("RGB")
    assert image.size == WINDOW
    colours = {colour for _, colour in image.getcolors(maxcolors=1 << 24)}
    assert len(colours) > 500, "the page looks blank"
    assert BANNER_BACKGROUND in colours, "the simulated banner is not on screen"
    for status in fmt.STATUSES:
        rgb = tuple(int(status.color[i:i + 2], 16) for i in (1, 3, 5))
        assert rgb in colours, f"no heat-map cell in the colour of {status.id}"
