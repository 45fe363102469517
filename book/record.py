"""The run record ``artifacts/metrics.json``: where it lives, how chapters write and read it,
which chapter writes each part (``WRITERS``) and which chapters each reads (``READS``), run ids,
chapter timers and the manifest of the machine and sources. Scores are computed in
:mod:`book.metrics`.

metrics.json layout::

    {"dataset":  {...rows, class counts, sha256, split sizes, test review ids...},
     "models":   {name: {accuracy, precision/recall/f1 per class and macro, ci95,
                         seconds, params..., "test": {"review_id", "y_true", "y_pred", "prob"}}},
     "results":  {key: any other number a chapter reports},
     "chapters": {chapter: {run_id, run_kind ("build" / "interactive"), source_sha256 of chapters/<chapter>.md,
                            started, seconds, finished}},
     "build":    {"seconds": ..., "run_id": ...},
     "manifest": {python, packages, cpu, gpu, source commit, encoder files' sha256, datasets' URLs
                  and sha256, seeds (from the appendix)}}
"""
from __future__ import annotations

import functools
import json
import os
import platform
import re
import subprocess
import time
from importlib import metadata
from pathlib import Path

import numpy as np

try:  # POSIX file locks for metrics.json; elsewhere writes are simply not serialised
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None

from . import device, names
from .data import ROOT


def artifacts_dir() -> Path:
    """Where the build writes (created if missing): :func:`book.names.artifacts_dir`."""
    return names.artifacts_dir(create=True)


def metrics_path() -> Path:
    return artifacts_dir() / "metrics.json"


# ---------------------------------------------------------------- the record


def load_metrics(path: Path | None = None) -> dict:
    path = Path(path) if path else metrics_path()
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ValueError(f"{path} is not valid JSON ({e.msg} at line {e.lineno}); "
                         "delete it and rebuild with `make book`") from None


def _json_default(v):
    """numpy scalars and arrays, tuples of them: what models' parameters often hold."""
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, Path):
        return str(v)
    raise TypeError(f"cannot store a {type(v).__name__} in metrics.json: {v!r}")


def update_metrics(change, path: Path | None = None) -> dict:
    """Read metrics.json, apply ``change(dict)`` in place, write it back atomically.

    A lock file next to it serialises concurrent writers (two processes scoring models at
    once would otherwise each write back a copy without the other's model)."""
    path = Path(path) if path else metrics_path()
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        if fcntl is not None:
            fcntl.flock(lock, fcntl.LOCK_EX)
        m = load_metrics(path)
        change(m)
        m.setdefault("manifest", {}).update(manifest())
        data = json.dumps(m, ensure_ascii=False, indent=1, default=_json_default)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(data, encoding="utf-8")
        tmp.replace(path)
    return m


def write(key: str, value, section: str = "results") -> None:
    """Keep one reported value (a number, a small table as a dict...) under ``section``."""
    update_metrics(lambda m: m.setdefault(section, {}).__setitem__(key, value))


# ---------------------------------------------------------------- reading the record

# Which chapter writes each part of the record: a missing part names the chapter to run.
WRITERS = {
    "dataset": "chapters/02_analysis.md",
    "results.log_ratio_top_words": "chapters/02_analysis.md",
    "results.baselines": "chapters/03a_baselines.md",
    "results.lstm_saved_seed": "chapters/03b_lstm.md",
    "results.lstm_tsne": "chapters/03b_lstm.md",
    "results.original_lstm": "chapters/03b_lstm.md",
    "results.word2vec": "chapters/03b_lstm.md",
    "results.bert": "chapters/03c_bert.md",
    "results.layer_probe": "chapters/03c_bert.md",
    "results.fangbian": "chapters/03c_bert.md",
    "results.contrast": "chapters/05_generalization.md",
    "results.bert_int8": "chapters/03c_bert.md",
    "results.generalization": "chapters/05_generalization.md",
    "results.generalization_runs": "chapters/05_generalization.md",
    "results.generalization_pooled_drops": "chapters/05_generalization.md",
    "results.rotation": "chapters/04_results.md",
    "results.learning_curve": "chapters/05_generalization.md",
    "results": "chapters/04_results.md",
    "manifest": "chapters/02_analysis.md",
    "chapters": "chapters/01_definition.md",
}
MODEL_WRITERS = (("lstm_seed", "chapters/03b_lstm.md"), ("lstm_fold", "chapters/03b_lstm.md"),
                 ("bilstm_seed", "chapters/03b_lstm.md"),
                 ("origlstm_seed", "chapters/03b_lstm.md"),
                 ("bert", "chapters/03c_bert.md"), ("snownlp", "chapters/05_generalization.md"),
                 ("", "chapters/03a_baselines.md"))

# Which chapters each chapter reads (through the record or the models in artifacts/), in the
# book's order (_toc.yml): declared once, here. The build executes the pages in file-name order,
# which is the book's order (file numbers are chapter numbers), so a chapter reads only chapters
# before it. `make book` (tools/book_key.py) re-executes a chapter when one it reads
# re-executes; a chapter's first cell stops with one sentence when a part of the record it needs
# is missing (``writer_of`` above names the chapter that writes it).
READS = {
    "01_definition": (),
    "02_analysis": (),
    "03_methods": (),
    "03a_baselines": (),
    "03b_lstm": (),
    "03c_bert": ("03a_baselines", "03b_lstm"),          # the other saved models, beside the transformer
    "04_results": ("03a_baselines", "03b_lstm", "03c_bert"),
    "05_generalization": ("03a_baselines", "03b_lstm", "03c_bert"),
    # the dataset, every model and test, and the seconds of every chapter before it
    "06_conclusion": ("01_definition", "02_analysis", "03_methods", "03a_baselines", "03b_lstm", "03c_bert",
                      "04_results", "05_generalization"),
    "07_tryit": ("03a_baselines", "03b_lstm", "03c_bert"),   # the three saved models, exported for the browser
    # the whole record: every chapter executed before it
    "08_appendix": ("01_definition", "02_analysis", "03_methods", "03a_baselines", "03b_lstm", "03c_bert",
                    "04_results", "05_generalization", "06_conclusion", "07_tryit"),
}


class RecordError(LookupError):
    """Something the run record should hold is missing: the one sentence names the chapter to run."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""

    def _render_traceback_(self) -> list[str]:
        """IPython shows this instead of a traceback: in Jupyter the error is one line."""
        return [f"{type(self).__name__}: {self}"]


def writer_of(key: str) -> str:
    """The chapter that writes ``key`` ("results.baselines", "models.lstm_seed0", ...)."""
    if key.startswith("models."):
        name = key.split(".", 1)[1]
        return next(ch for prefix, ch in MODEL_WRITERS if name.startswith(prefix))
    if key.startswith("chapters.") and key.split(".")[1] in READS:
        return f"chapters/{key.split('.')[1]}.md"
    best = max((k for k in WRITERS if key == k or key.startswith(k + ".")), key=len, default=None)
    return WRITERS[best] if best else "the chapters before this one"


class Record:
    """The run record, read without defaults: every lookup either finds its key or raises
    :class:`RecordError` saying which chapter writes it. ``Record.load()`` reads metrics.json.

        rec = Record.load()
        rec.best_baseline()          # 'tfidf_char_linearsvc' (chosen by CV in chapter 3.1)
        rec.saved_model("lstm")      # 'lstm_seed2' (the LSTM the predictor uses)
    """

    def __init__(self, data: dict, source: str = "metrics.json"):
        self.data, self.source = data, source

    @classmethod
    def load(cls, path: Path | None = None) -> Record:
        path = Path(path) if path else metrics_path()
        return cls(load_metrics(path), path.name)

    def get(self, key: str):
        """The value at a dotted key ("results.baselines.best_by_cv"); RecordError if absent."""
        node = self.data
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                raise RecordError(f"{self.source} has no {key!r}: run {writer_of(key)} first (or `make book`)")
            node = node[part]
        return node

    def model(self, name: str) -> dict:
        models = self.data.get("models") if isinstance(self.data.get("models"), dict) else {}
        if name not in models:
            raise RecordError(f"{self.source} has no model {name!r}: run {writer_of('models.' + name)} first "
                              "(or `make book`)")
        return models[name]

    def models(self, family: str | None = None, every_fold: bool = False) -> dict:
        """name → record of every model scored on fold 0's test split, the one the tables share (of one
        ``family``: baseline, lstm, bert, ...); ``every_fold=True`` adds the runs on the rotation's
        further folds (:meth:`fold_runs`), each scored on its own fold's test split."""
        models = self.get("models")
        return {n: m for n, m in models.items()
                if (family is None or m["family"] == family) and (every_fold or m["fold"] == 0)}

    def seed_names(self, prefix: str) -> list[str]:
        """The models trained once per seed under ``prefix`` ("lstm", "bilstm"), in seed order."""
        names = sorted((n for n in self.get("models") if re.fullmatch(rf"{prefix}_seed\d+", n)),
                       key=lambda n: int(n.rsplit("seed", 1)[1]))
        if not names:
            raise RecordError(f"{self.source} has no {prefix}_seed* models: run "
                              f"{writer_of('models.' + prefix + '_seed0')} first (or `make book`)")
        return names

    def fold_runs(self, family: str) -> dict[int, str]:
        """fold → record name of the run of ``family`` ("baseline", "lstm", "bert") whose test split is
        that fold of the rotation (book.data.fold_splits): fold 0 is the run the reproduction tables
        show (the best baseline, ``lstm_seed0``, ``bert_seed0``), folds 1 … 4 are ``<name>_fold<f>``.
        Together their test splits hold every review of the rotation's test blocks once."""
        first = {"baseline": self.best_baseline(), "lstm": "lstm_seed0", "bert": "bert_seed0"}
        if family not in first:
            raise ValueError(f"unknown family {family!r}: choose from {', '.join(first)}")
        prefix = "bert" if family == "bert" else first[family].removesuffix("_seed0")
        self.model(first[family])
        runs = {0: first[family]}
        for n in self.get("models"):
            m = re.fullmatch(rf"{re.escape(prefix)}_fold(\d+)", n)
            if m:
                runs[int(m.group(1))] = n
        if len(runs) == 1:
            raise RecordError(f"{self.source} has no {prefix}_fold* models: run "
                              f"{writer_of('models.' + prefix + '_fold1')} first (or `make book`)")
        return dict(sorted(runs.items()))

    def seed_summary(self, prefix: str) -> dict:
        """Test accuracy over the seeds of ``prefix``: names, accuracies, mean, sd (ddof 1), min, max."""
        names = self.seed_names(prefix)
        acc = np.array([self.model(n)["accuracy"] for n in names])
        return {"names": names, "accuracies": acc.tolist(), "n": len(names), "mean": float(acc.mean()),
                "sd": float(acc.std(ddof=1)) if len(acc) > 1 else 0.0,
                "min": float(acc.min()), "max": float(acc.max())}

    def best_baseline(self) -> str:
        """The baseline chapter 3.1 chose by cross-validation (and saved for the predictor)."""
        name = self.get("results.baselines.best_by_cv")
        self.model(name)
        return name

    def saved_model(self, family: str) -> str:
        """The record name of the model the predictor uses for ``family`` (tfidf, lstm, bert)."""
        if family == "tfidf":
            return self.best_baseline()
        if family == "lstm":
            name = f"lstm_seed{self.get('results.lstm_saved_seed')}"
        elif family == "bert":
            name = self.get("results.bert.saved_model")
        else:
            raise ValueError(f"unknown family {family!r}: choose from tfidf, lstm, bert")
        self.model(name)
        return name

    def representatives(self) -> dict:
        """role → model name for the comparisons of chapters 4 and 5: the original-style baseline,
        the best baseline (by CV), the saved LSTM, the saved transformer."""
        self.model("tfidf_original_style")
        return {"original_style": "tfidf_original_style", "best_baseline": self.best_baseline(),
                "lstm": self.saved_model("lstm"), "transformer": self.saved_model("bert")}

    def encoder(self, short: bool = True) -> str:
        """The display name of the pretrained encoder that ran (from its record, never a path)."""
        from .display import encoder_name, read_provenance

        m = self.model(self.saved_model("bert"))
        return encoder_name(m["model_id"], m["encoder_config"], short=short, provenance=read_provenance(m["model_path"]))


RUN_ENV = "BOOK_RUN_ID"        # set by `make book` for the whole build; unset in Jupyter and tools/run_chapter.py
RUN_GLUE = "run_id"      # a chapter's first cell leaves its run id in its outputs under the glue key f"{chapter}_run_id"


def run_id() -> tuple[str, str]:
    """(the id of this run, its kind): $BOOK_RUN_ID and "build" inside `make book`; elsewhere
    (Jupyter, tools/run_chapter.py) ``interactive-<UTC time>`` and "interactive"."""
    rid = os.environ.get(RUN_ENV, "").strip()
    if rid and not rid.startswith("interactive-"):
        return rid, "build"
    return rid or time.strftime("interactive-%Y%m%dT%H%M%SZ", time.gmtime()), "interactive"


def chapter_source(chapter: str) -> Path:
    """The chapter's source ``<chapter>.md``: next to the running notebook (the build and Jupyter
    run a chapter in its own folder), else in this repository's ``chapters/``."""
    for path in (Path.cwd() / f"{chapter}.md", ROOT / "chapters" / f"{chapter}.md"):
        if path.is_file():
            return path
    raise ValueError(f"ChapterTimer({chapter!r}): there is no chapters/{chapter}.md "
                     "(the name is the chapter's file name without .md)")


def _sha256_file(path: Path) -> str:
    from .data import sha256_of  # imported here: book.data imports pandas, which the predictor never needs

    return sha256_of(path)


class ChapterTimer:
    """``t = ChapterTimer("02_analysis")`` in a chapter's first cell, ``t.stop()`` in its last.

    Starting replaces the chapter's entry in the record's ``chapters`` section with who is
    writing it now: the sha256 of the chapter's source, the run id and kind (:func:`run_id`), the
    start time; ``stop`` adds the seconds and the finish time. So an entry without seconds is a run
    that did not finish. In a notebook kernel it also glues the run id (key ``<chapter>_run_id``, :func:`run_glue_key`; not
    shown), so the page's outputs say which run made them and `make book` can tell when the record
    comes from another run (tools/book_key.py)."""

    def __init__(self, chapter: str):
        rid, kind = run_id()
        self.chapter = chapter
        self.run = {"run_id": rid, "run_kind": kind, "source_sha256": _sha256_file(chapter_source(chapter)),
                    "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        write(chapter, dict(self.run), "chapters")
        _glue_run(run_glue_key(chapter), rid)
        self.t0 = time.perf_counter()

    def stop(self) -> float:
        secs = round(time.perf_counter() - self.t0, 2)
        write(self.chapter, {**self.run, "seconds": secs, "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z")},
               "chapters")
        return secs


def run_glue_key(chapter: str) -> str:
    """The glue key of a chapter's run id: its file name, then ``_run_id``."""
    return f"{chapter}_{RUN_GLUE}"


def in_kernel() -> bool:
    """True inside a notebook kernel (Jupyter, or the build executing a page)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return False
    return get_ipython() is not None and hasattr(get_ipython(), "kernel")


def _glue_run(key: str, rid: str) -> None:
    """Glue the run id into the running notebook's outputs (nothing outside a kernel)."""
    if not in_kernel():
        return
    from myst_nb import glue

    glue(key, rid, display=False)


_PACKAGES = ("torch", "transformers", "tokenizers", "fastai", "fastcore", "scikit-learn", "hyperopt",
             "jieba", "snownlp", "numpy", "pandas", "scipy", "matplotlib", "seaborn", "onnxruntime",
             "jupyter-book", "myst-nb", "jupyter-cache", "jupytext")


@functools.cache
def _file_digest(path: str, size: int, mtime_ns: int) -> str:
    """sha256 of a file, once per process for the same (path, size, mtime): the encoder's weights
    are hashed once, not on every write of the record."""
    return _sha256_file(Path(path))


def encoder_files(model: str | None = None) -> dict:
    """The encoder this run fine-tunes (``model``, else $BOOK_BERT_MODEL, else book.bert's
    default): ``{"model": ..., "files": {name: {"bytes", "sha256"}}}``, the files only for a local
    folder (a Hugging Face id is fetched by transformers, which checks its own files)."""
    if model is None:
        model = os.environ.get("BOOK_BERT_MODEL") or None
    if model is None:
        model = names.DEFAULT_ENCODER
    folder = Path(model).expanduser()
    if not folder.is_dir():
        return {"model": model, "files": None}
    files = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        st = path.stat()
        files[path.relative_to(folder).as_posix()] = {
            "bytes": st.st_size, "sha256": _file_digest(str(path.resolve()), st.st_size, st.st_mtime_ns)}
    return {"model": str(folder.resolve()), "files": files}


@functools.cache
def source_state(root: Path = ROOT) -> dict:
    """The source this run executes: git's commit and whether the tree differs from it
    (``dirty``: tracked changes or untracked files, as ``git status --porcelain`` lists them).
    None for both outside a git checkout. Once per process."""
    def git(*args: str) -> str | None:
        try:
            out = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return out.stdout if out.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return {"commit": None, "dirty": None}
    status = git("status", "--porcelain")
    return {"commit": commit.strip(), "dirty": None if status is None else bool(status.strip())}


def manifest() -> dict:
    """What ran: Python, package versions, CPU/GPU, the source commit, the encoder's files and the
    datasets' addresses and checksums. Seeds and model ids are added by chapters."""
    from .data import DATASETS

    versions = {}
    for p in _PACKAGES:
        try:
            versions[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            versions[p] = None
    try:
        import torch
        gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
        threads = torch.get_num_threads()
    except ImportError:
        gpu, threads = None, None
    return {
        "compute": device.describe(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": device.cpu_name(),
        "cpu_count": os.cpu_count(),
        "torch_threads": threads,
        "gpu": gpu,
        "packages": versions,
        "source": source_state(),
        "encoder": encoder_files(),
        "datasets": {name: {"url": s.url, "sha256": s.sha256, "member": s.member, "member_sha256": s.member_sha256}
                     for name, s in DATASETS.items()},
    }
