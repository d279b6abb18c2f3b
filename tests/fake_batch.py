"""Stand-ins for the submit and cancel commands of batch systems that cannot run on
one machine (PBS, Moab, LSF, HTCondor, OAR; Grid Engine's answer too): each records how it was called,
and the job script it was given, then answers as the real command does."""
import json
import os
import stat
import sys

ANSWERS = {
    "qsub": "1234.fake-server",                       # PBS (Grid Engine's qsub is below)
    "bsub": "Job <5678> is submitted to queue <normal>.",
    "condor_submit": "Submitting job(s).\n1 job(s) submitted to cluster 42.",
    "oarsub": "OAR_JOB_ID=77",
    "msub": "2468",                                   # Moab
}
SGE_QSUB = 'Your job 99 ("dask-worker") has been submitted'
CANCELS = ("qdel", "bkill", "condor_rm", "oardel", "canceljob")

RECORDER = """#!{python}
import json, os, sys
script = ""
for arg in sys.argv[1:]:
    if os.path.isfile(arg):
        script = open(arg).read()
if not script and not sys.stdin.isatty():
    script = sys.stdin.read()
if not script and {answer!r}:  # a submit command given the script inline (oarsub)
    script = " ".join(sys.argv[1:])
with open({log!r}, "a") as log:
    log.write(json.dumps({{"command": os.path.basename(sys.argv[0]), "args": sys.argv[1:],
                          "script": script}}) + "\\n")
print({answer!r})
"""


def install(directory, log, sge=False):
    """Write the fake commands into ``directory``; calls are recorded in ``log``."""
    answers = {**ANSWERS, **({"qsub": SGE_QSUB} if sge else {}), **{name: "" for name in CANCELS}}
    for name, answer in answers.items():
        path = os.path.join(directory, name)
        with open(path, "w") as file:
            file.write(RECORDER.format(python=sys.executable, log=str(log), answer=answer))
        os.chmod(path, os.stat(path).st_mode | stat.S_IEXEC)


def calls(log):
    if not os.path.exists(log):
        return []
    with open(log) as file:
        return [json.loads(line) for line in file]
