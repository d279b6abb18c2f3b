"""Take the screenshots of docs/dashboard.rst: the tutorial in JupyterLab, and the Workflow
page as dask-labextension's panel beside it.

    pip install -e .[test,notebook] jupyterlab dask-labextension
    python docs/screenshots.py          # needs /usr/bin/chromium and /usr/bin/chromedriver

Writes docs/_static/notebook.png and docs/_static/labextension_workflow.png.
"""
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time

DOCS = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent / "tests"))
from browser import headless_chromium  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from servers import free_port, wait_for_port  # noqa: E402

STATIC = DOCS / "_static"


def notebook_without_cleanup(directory: pathlib.Path) -> pathlib.Path:
    """The tutorial without its last cell, so its cluster stays up for the panel."""
    notebook = json.loads((DOCS / "tutorial.ipynb").read_text())
    notebook["cells"] = notebook["cells"][:-1]
    path = directory / "tutorial.ipynb"
    path.write_text(json.dumps(notebook))
    return path


def until(condition, timeout=120):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise TimeoutError(condition)
        time.sleep(0.5)
    return value


def main() -> None:
    root = pathlib.Path(tempfile.mkdtemp(prefix="dask-parsl-screenshots-"))
    notebook_without_cleanup(root)
    settings = root / "lab-settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)  # every cell in the page, so all outputs can be read
    (settings / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    port = free_port()
    lab = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         "--allow-root", "--IdentityProvider.token=", f"--ServerApp.root_dir={root}",
         "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(root / "lab-settings")})
    driver = headless_chromium()
    try:
        wait_for_port(port, lab, timeout=60)
        driver.set_window_size(1600, 1000)
        driver.get(f"http://127.0.0.1:{port}/lab/tree/tutorial.ipynb")
        until(lambda: driver.find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-Cell"))
        time.sleep(3)
        for button in driver.find_elements(By.XPATH, "//button[normalize-space()='No']"):
            button.click()  # JupyterLab asks whether to fetch news
        keys = ActionChains(driver)  # the command palette: Run All Cells
        keys.key_down(Keys.CONTROL).key_down(Keys.SHIFT).send_keys("c").key_up(Keys.SHIFT).key_up(Keys.CONTROL)
        keys.pause(1).send_keys("Run All Cells").pause(1).send_keys(Keys.ENTER).perform()
        time.sleep(5)
        text = until(lambda: (text := driver.find_element(By.CSS_SELECTOR, ".jp-Notebook").text)
                     and "[*]:" not in text and "(True, 'DependencyError', 1)" in text and text, timeout=300)
        dashboard = re.search(r"http://127\.0\.0\.1:\d+", text).group(0)
        progress = driver.find_element(By.XPATH, "//div[contains(@class,'widget-inline-hbox')]")
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", progress)
        time.sleep(1)
        driver.save_screenshot(str(STATIC / "notebook.png"))

        tab = driver.find_element(By.CSS_SELECTOR, ".jp-SideBar li[data-id='dask-dashboard-launcher']")
        url = driver.find_element(By.CSS_SELECTOR, ".dask-URLInput-wrapper input")
        for _ in range(2):  # the tab toggles its panel
            if not url.is_displayed():
                tab.click()
                time.sleep(1)
        url.clear()
        url.send_keys(dashboard, Keys.ENTER)
        workflow = until(lambda: [item for item in driver.find_elements(By.CSS_SELECTOR,
                                                                        ".dask-DashboardListing-item")
                                  if item.text.strip().lower() == "workflow"])
        workflow[0].click()
        time.sleep(6)  # the panel loads the page and draws
        driver.save_screenshot(str(STATIC / "labextension_workflow.png"))
    finally:
        driver.quit()
        lab.terminate()
        lab.wait(30)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
