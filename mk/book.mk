# The HTML book (README.md, `make book`): chapters executed through a jupyter-cache,
# the released exercise notebooks rendered as they are, MathJax from npm.
# Entry: build/book/index.html. book/build.py does the work; see its docstring.

book: $(STAMP)
	$(BIN)/python -m book.build
