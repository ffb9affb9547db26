"""Copy KaTeX's browser files here, with its fonts inlined into the CSS

    npm pack katex@0.19.1 && tar xzf katex-0.19.1.tgz
    python vendor.py package/          # writes the files next to this one

A feedback page travels alone (nbgrader's release_feedback copies only the
.html file), so the template inlines these files into every page; the CSS
therefore carries its fonts as data: URLs (woff2 only: every browser that
runs KaTeX reads woff2).
"""
import base64
import json
import re
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def inline_fonts(css, fonts):
    """css with each @font-face's src reduced to its woff2 file, inlined"""
    def src(match):
        name = re.search(r"url\(fonts/([\w-]+\.woff2)\)", match.group(0))
        data = base64.b64encode((fonts / name.group(1)).read_bytes())
        return f"src:url(data:font/woff2;base64,{data.decode()}) format(\"woff2\")"
    out, count = re.subn(r"src:url\(fonts/[^;}]*", src, css)
    assert count == len(list(fonts.glob("*.woff2"))), count
    return out


def main(package):
    package = Path(package)
    dist = package / "dist"
    version = json.loads((package / "package.json").read_text())["version"]
    shutil.copy(dist / "katex.min.js", HERE / "katex.min.js")
    shutil.copy(dist / "contrib" / "auto-render.min.js",
                HERE / "auto-render.min.js")
    css = inline_fonts((dist / "katex.min.css").read_text(), dist / "fonts")
    (HERE / "katex.inline.min.css").write_text(css)
    shutil.copy(package / "LICENSE", HERE / "LICENSE")
    (HERE / "VERSION").write_text(version + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
