"""The student's JupyterLab (`make lab`), driven in headless Chromium"""
