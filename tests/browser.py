"""Headless Chromium for browser tests: Debian's chromium and chromedriver, nothing
downloaded. Tests using it are skipped, with the reason, when either is missing."""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get(
    "CHROMEDRIVER", shutil.which("chromedriver") or "/usr/bin/chromedriver"
)
SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR", Path(__file__).parent.parent / "screenshots"))


def chromium(width=1280, height=900):
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip(
            "browser tests need Chromium and ChromeDriver "
            "(Debian/Ubuntu: apt install chromium chromium-driver)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        # The machine's network is closed: no background calls home.
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--window-size={width},{height}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    # Headless windows are at least 500 px wide; emulate the viewport for phone widths.
    driver.viewport_width = width
    set_viewport(driver, width, height)
    return driver


def set_viewport(driver, width, height):
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
    )


def screenshot(driver, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    set_viewport(driver, driver.viewport_width, min(max(height, 600), 4000))
    driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))
    set_viewport(driver, driver.viewport_width, 900)
