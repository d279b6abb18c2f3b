"""Debian's headless Chromium, driven by its chromedriver (named explicitly: nothing is downloaded)."""
import os
import pathlib
import shutil

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
#: screenshots and other files a reader of a test run may want (kept by CI)
ARTIFACTS = pathlib.Path(os.environ.get("DASK_PARSL_ARTIFACTS", "")
                         or pathlib.Path(__file__).parent.parent / "artifacts")


def headless_chromium():
    """A selenium driver of headless Chromium; skips (fails under CI) if it is not installed."""
    webdriver = pytest.importorskip("selenium.webdriver")
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        message = f"needs {CHROMIUM} and {CHROMEDRIVER} (apt-get install chromium chromium-driver)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1400,1100"):
        options.add_argument(argument)
    return webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=CHROMEDRIVER))


def screenshot(driver, name):
    """Save what the browser shows as ``ARTIFACTS/name``; returns the path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    assert driver.save_screenshot(str(path)), f"could not save {path}"
    return path
