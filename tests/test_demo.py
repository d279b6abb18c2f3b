"""``dask-parsl demo``, as the README's first command runs it."""
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.request


def test_the_demo_prints_its_workflow_page_which_shows_the_run(tmp_path):
    command = shutil.which("dask-parsl", path=os.path.dirname(sys.executable))
    demo = subprocess.Popen([command, "demo", "--tasks", "40", "--run-dir", str(tmp_path), "--linger", "30"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        for line in demo.stdout:
            lines.append(line.rstrip())
            if line.startswith("Keeping the cluster"):
                break
        page = re.search(r"Workflow page:  (http://127\.0\.0\.1:\d+/workflow)", "\n".join(lines))
        assert page, lines
        assert "  40/40 simulations finished" in lines
        base = page.group(1).rsplit("/", 1)[0]
        with urllib.request.urlopen(f"{base}/individual-plots.json", timeout=30) as response:
            assert json.load(response)["Individual Workflow"] == "/individual-workflow"
        with urllib.request.urlopen(page.group(1), timeout=30) as response:
            assert '"root_ids"' in response.read().decode()  # the page's bokeh document
    finally:
        demo.terminate()
        demo.wait(60)
