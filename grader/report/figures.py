"""The class report's figures: matplotlib PNGs, as base64 for a data URL

The page needs no other file: each figure is embedded in it.
"""
import base64
import io
import statistics


def _png(fig):
    import matplotlib.pyplot as plt
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _plt():
    import matplotlib
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    plt.rcParams.update({"font.size": 10, "axes.spines.top": False,
                         "axes.spines.right": False})
    return plt


def score_histogram(scores, top, title):
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.0, 3.2))
    top = top or max(scores or [1]) or 1
    bins = min(20, max(5, int(top)))
    ax.hist(scores, bins=bins, range=(0, top), color="#4c72b0", edgecolor="white")
    if scores:
        mean, median = statistics.mean(scores), statistics.median(scores)
        ax.axvline(mean, color="#c44e52", lw=1.5, label=f"mean {mean:.1f}")
        ax.axvline(median, color="#55a868", lw=1.5, ls="--", label=f"median {median:g}")
        ax.legend(frameon=False, loc="upper left")
    ax.set_xlim(0, top)
    ax.set_xlabel(f"score (out of {top:g})")
    ax.set_ylabel("students")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_title(title, loc="left", fontsize=11)
    return _png(fig)


def function_bars(names, shares, title):
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.0, 0.42 * len(names) + 0.9))
    y = list(range(len(names)))[::-1]
    ax.barh(y, [100 * s for s in shares], color="#4c72b0")
    ax.set_yticks(y, names, fontfamily="monospace")
    ax.set_xlim(0, 100)
    ax.set_xlabel("share of the points earned by the class (%)")
    for yi, s in zip(y, shares):
        ax.text(min(100 * s + 1, 92), yi, f"{100 * s:.0f}%", va="center", fontsize=9)
    ax.set_title(title, loc="left", fontsize=11)
    return _png(fig)


def time_figure(seconds, title):
    plt = _plt()
    items = sorted(seconds.items(), key=lambda kv: kv[1])
    if len(items) <= 40:
        fig, ax = plt.subplots(figsize=(7.0, 0.28 * len(items) + 0.9))
        ax.barh(range(len(items)), [s for _, s in items], color="#8172b2")
        ax.set_yticks(range(len(items)), [n for n, _ in items], fontsize=8)
        ax.set_xlabel("seconds to grade the submission")
    else:
        fig, ax = plt.subplots(figsize=(7.0, 3.0))
        ax.hist([s for _, s in items], bins=30, color="#8172b2", edgecolor="white")
        ax.set_xlabel("seconds to grade a submission")
        ax.set_ylabel("submissions")
    ax.set_title(title, loc="left", fontsize=11)
    return _png(fig)
