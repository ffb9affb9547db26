"""One gradebook transaction per submission, through nbgrader's own code

nbgrader's preprocessors open the gradebook themselves and commit after
every cell. `Gradebook` here keeps one connection for a whole run and
hands it to them (`lend`): their commits only flush while a submission is
being written, and `transaction` commits once the whole submission is
written (or rolls it all back). A run killed mid-way leaves each
submission either fully recorded or not at all, and a submission costs one
commit (one fsync on SQLite) instead of about sixty. The assignment's
source and graded cells, which nbgrader's OverwriteCells looks up for
every cell of every submission and which do not change during a run, are
looked up once per run.
"""
import contextlib
import importlib

from nbgrader.api import Gradebook as NbgraderGradebook
from sqlalchemy.orm import Session, scoped_session, sessionmaker


class _BatchSession(Session):
    """A session whose commit() only flushes while `batching` is set"""
    batching = False

    def commit(self):
        if self.batching:
            self.flush()
        else:
            super().commit()


class Gradebook:
    """nbgrader's Gradebook with one batching session, lent to nbgrader's
    preprocessors inside `transaction`"""

    def __init__(self, db_url):
        self.gb = NbgraderGradebook(db_url)
        self.gb.db.remove()
        self.gb.db = scoped_session(sessionmaker(class_=_BatchSession, autoflush=True,
                                                 bind=self.gb.engine))
        self.borrowed = Borrowed(self.gb)

    def close(self):
        if self.gb is not None:
            self.gb.close()
            self.gb = None

    @contextlib.contextmanager
    def transaction(self):
        """The gradebook, its writes committed once at the end (rolled back
        on any exception), lent to nbgrader's preprocessors meanwhile"""
        session = self.gb.db()
        session.batching = True
        try:
            with lend(self.borrowed):
                yield self.gb
            session.batching = False
            session.commit()
        except BaseException:
            session.batching = False
            session.rollback()
            raise
        finally:
            session.batching = False
            session.expunge_all()


class Borrowed:
    """Stands in for `Gradebook(db_url)` inside nbgrader's preprocessors:
    hands them the open gradebook and does not close it; source and graded
    cells are looked up once and handed out as read-only copies"""

    def __init__(self, gb):
        self.gb = gb
        self.cells = {}

    def _cell(self, kind, find, fields, *key):
        if (kind, *key) not in self.cells:  # MissingEntry is raised, never kept
            self.cells[(kind, *key)] = CellCopy(find(*key), fields)
        return self.cells[(kind, *key)]

    def find_source_cell(self, name, notebook, assignment):
        return self._cell("source", self.gb.find_source_cell, SOURCE_FIELDS,
                          name, notebook, assignment)

    def find_graded_cell(self, name, notebook, assignment):
        return self._cell("graded", self.gb.find_graded_cell, ("name", "max_score"),
                          name, notebook, assignment)

    def __call__(self, *args, **kwargs):
        return self

    def __enter__(self):
        return self.gb

    def __exit__(self, *exc):
        return False

    def __getattr__(self, name):
        return getattr(self.gb, name)


SOURCE_FIELDS = ("name", "cell_type", "locked", "checksum", "source")


class CellCopy:
    """The columns of a gradebook cell, read once; setting any is an error"""

    def __init__(self, row, fields):
        for name in fields:
            object.__setattr__(self, name, getattr(row, name))

    def __setattr__(self, name, value):
        raise AttributeError(f"{name}: a copy of a source cell is read-only")


PREPROCESSOR_MODULES = ("nbgrader.preprocessors.overwritecells",
                        "nbgrader.preprocessors.saveautogrades",
                        "nbgrader.preprocessors.latesubmissions")


@contextlib.contextmanager
def lend(borrowed):
    """Let nbgrader's preprocessors use `borrowed` instead of opening their
    own gradebook"""
    mods = [importlib.import_module(m) for m in PREPROCESSOR_MODULES]
    saved = [m.Gradebook for m in mods]
    for m in mods:
        m.Gradebook = borrowed
    try:
        yield
    finally:
        for m, g in zip(mods, saved):
            m.Gradebook = g
