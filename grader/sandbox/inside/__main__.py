"""`python -m grader.sandbox.inside`: the sandbox's watchdog (see watchdog.py)"""
import os

from grader.sandbox.inside import cleanup

if __name__ == "__main__":
    cleaner = cleanup.Cleaner()  # forked before torch is imported: cheap to fork
    from grader.sandbox.inside.watchdog import main, quick_exit
    main(cleaner)
    quick_exit()
    os._exit(0)
