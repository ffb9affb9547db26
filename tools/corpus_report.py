"""Grades the corpus of answers in tests/checks/ and prints what each lost

    .venv/bin/python tools/corpus_report.py [-v] [FUNCTION ...]

Ends with "wrong implementations caught: N/N; correct alternatives at full
marks: M/M". A wrong answer counts as caught when it loses every aspect the
corpus says it must lose and nothing else (but the few it says it may lose).
"""
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from tests.checks import corpus_channels, corpus_layers, corpus_pooling  # noqa: E402
from tests.checks._corpus import as_expected, grade, lost  # noqa: E402

CORPORA = (corpus_channels, corpus_pooling, corpus_layers)


def main(argv):
    verbose = "-v" in argv
    only = {a for a in argv if not a.startswith("-")}
    torch.set_num_threads(1)
    caught = wrongs = full = corrects = 0
    for corpus in CORPORA:
        for impl in corpus.CORRECT + corpus.WRONG:
            if only and impl.function not in only:
                continue
            start = time.perf_counter()
            verdicts = grade(impl)
            seconds = time.perf_counter() - start
            lose = lost(verdicts)
            ok = as_expected(impl, lose)
            if impl.fails:
                wrongs += 1
                caught += ok
            else:
                corrects += 1
                full += ok
            mark = "ok " if ok else "BAD"
            print(f"{mark} {seconds:5.2f}s {impl.id:70.70} lost {sorted(lose)}"
                  + ("" if ok else f" (expected {sorted(impl.fails)}"
                                 f"{' and maybe ' + str(sorted(impl.may)) if impl.may else ''})"))
            if verbose or not ok:
                for aspect in sorted(lose | impl.fails):
                    print("      " + verdicts[aspect].message.replace("\n", "\n      "))
    print(f"wrong implementations caught: {caught}/{wrongs}; "
          f"correct alternatives at full marks: {full}/{corrects}")
    return 0 if caught == wrongs and full == corrects else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
