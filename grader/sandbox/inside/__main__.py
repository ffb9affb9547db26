"""`python -m grader.sandbox.inside`: the sandbox's watchdog (see watchdog.py)"""
import os

from grader.sandbox.inside.watchdog import main, quick_exit

if __name__ == "__main__":
    main()
    quick_exit()
    os._exit(0)
