#!/usr/bin/env bash
# Fetch, here, what bench/gpu.sh needs on the lent GPU machine, which has
# Python 3.12 and a CUDA torch but no registry, no nbgrader, no IPython and
# no bubblewrap: wheels into .whl/, Debian packages into .deb/ (both
# ignored by git; name them in the device tool's `carry`).
set -euo pipefail
cd "$(dirname "$0")/.."
grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo '/.whl/' >> .git/info/exclude
grep -qx '/.deb/' .git/info/exclude 2>/dev/null || echo '/.deb/' >> .git/info/exclude
mkdir -p .whl .deb
platforms=""
for n in 2_28 2_27 2_17 2014 1; do
  case $n in 2014|1) platforms="$platforms --platform manylinux${n}_x86_64" ;;
             *) platforms="$platforms --platform manylinux_${n}_x86_64" ;; esac
done
# what the sandbox and the sample class need beyond the image's packages
# (pure Python unless noted); one version each
for pkg in nbformat==5.10.4 fastjsonschema==2.21.2 jsonschema==4.25.1 \
           jsonschema-specifications==2025.9.1 referencing==0.36.2 rpds-py==0.27.1 \
           traitlets==5.14.3 jupyter_core==5.9.1 platformdirs==4.5.0 \
           ipython==9.6.0 ipython_pygments_lexers==1.1.1 decorator==5.2.1 jedi==0.19.2 \
           parso==0.8.5 matplotlib-inline==0.2.1 pexpect==4.9.0 ptyprocess==0.7.0 \
           prompt_toolkit==3.0.52 wcwidth==0.2.14 stack_data==0.6.3 asttokens==3.0.0 \
           executing==2.2.1 pure_eval==0.2.3; do
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
    --implementation cp $platforms -d .whl "$pkg"
done
( cd .deb && apt-get download bubblewrap libcap2 >/dev/null )
ls -1 .whl .deb
du -sh .whl .deb
