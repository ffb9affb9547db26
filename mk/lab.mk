# JupyterLab on the course, for students (docs/students.md).
# .jupyter/jupyter_server_config.py roots the file browser at the repository
# (course/ and exercises/), opens course/*.md as notebooks through jupytext and
# keeps nbgrader's Validate button; .jupyter/lab-settings holds the lab defaults.
# Extra options: make lab LAB_ARGS="--port=8899 --no-browser"

LAB_ARGS ?=

lab: $(STAMP)
	$(BIN)/jupyter lab --config=$(abspath .jupyter/jupyter_server_config.py) $(LAB_ARGS)
