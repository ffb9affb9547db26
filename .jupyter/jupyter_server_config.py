"""JupyterLab for students: `make lab` runs `jupyter lab --config=.jupyter/jupyter_server_config.py`

Only this file is read as the server's configuration (your ~/.jupyter/jupyter_server_config.py
is not); the extensions installed in the venv stay enabled. What it sets:

* the file browser starts at the repository root, so `course/` (chapters) and
  `exercises/` (graded notebooks) are both in it;
* text-first chapters (`course/*.md`, MyST Markdown notebooks) open as notebooks:
  jupytext's contents manager reads and saves them, and lab-settings/overrides.json
  makes "Jupytext Notebook" the default viewer of Markdown files (right-click ->
  Open With -> Editor / Markdown Preview still shows the text);
* nbgrader's validate extension (the notebook toolbar's Validate button) and its
  assignment list are on; the instructors' formgrader is off in the students' lab.

Anything here can be overridden on the command line, e.g.
`make lab LAB_ARGS="--port=8899 --no-browser"`.
"""
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

c = get_config()  # noqa: F821 (defined by traitlets when it loads this file)

c.ServerApp.root_dir = str(REPO)
c.ServerApp.default_url = "/lab"
c.ServerApp.ip = "localhost"

# Markdown notebooks: jupytext reads/saves course/*.md as notebooks (MyST format kept)
c.ServerApp.contents_manager_class = "jupytext.AsyncTextFileContentsManager"
c.ContentsManager.hide_globs = ["__pycache__", "*.pyc", "*.pyo", ".DS_Store", "*~", "*.egg-info"]

# Lab defaults for this course (lab-settings/overrides.json): .md opens as a notebook
# (a chapter starts the kernel its header names; a .md file without one, such as
# course/index.md, asks which), no news or update pop-ups. Formgrader's and the course
# list's lab plugins are off (lab-settings/page_config.json).
c.LabApp.app_settings_dir = str(HERE / "lab-settings")

c.ServerApp.jpserver_extensions = {
    "jupyterlab_jupytext": True,
    "nbgrader.server_extensions.validate_assignment": True,
    "nbgrader.server_extensions.assignment_list": True,
    "nbgrader.server_extensions.course_list": False,
    "nbgrader.server_extensions.formgrader": False,
}
