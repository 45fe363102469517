"""tools/compare_records.py: two records that differ only in timings, run ids and the manifest
are the same; any other change to a number or a key is reported with its path."""
from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import compare_records  # noqa: E402

RECORD = {
    "models": {"lstm_seed0": {"accuracy": 0.84, "ci95": [0.79, 0.89], "seconds": 61.2,
                              "test": {"review_id": [3, 5], "y_pred": [1, 0], "prob": [0.9, 0.2]}}},
    "results": {"bert": {"seeds": [0], "epoch_seconds": [120.0, 118.5]}},
    "chapters": {"03b_lstm": {"run_id": "build-A", "run_kind": "build", "seconds": 300.0, "started": "t0"}},
    "manifest": {"cpu": "Zen 4", "commit": "abc"},
    "build": {"seconds": 2000},
}


def run(tmp_path, a, b, *args):
    pa, pb = tmp_path / "a.json", tmp_path / "b.json"
    pa.write_text(json.dumps(a)), pb.write_text(json.dumps(b))
    return compare_records.main([str(pa), str(pb), *args])


def test_timings_run_ids_and_manifest_are_left_out(tmp_path, capsys):
    b = copy.deepcopy(RECORD)
    b["models"]["lstm_seed0"]["seconds"] = 99.0
    b["results"]["bert"]["epoch_seconds"] = [1.0]
    b["chapters"]["03b_lstm"].update(run_id="build-B", started="t1", seconds=1.0)
    b["manifest"]["commit"], b["build"]["seconds"] = "def", 1
    assert run(tmp_path, RECORD, b) == 0
    assert capsys.readouterr().out.startswith("same")


def test_a_changed_number_or_key_is_reported_with_its_path(tmp_path, capsys):
    b = copy.deepcopy(RECORD)
    b["models"]["lstm_seed0"]["test"]["prob"][1] = 0.25
    b["models"]["lstm_seed0"]["epochs"] = 4
    del b["results"]["bert"]["seeds"]
    assert run(tmp_path, RECORD, b) == 1
    out = capsys.readouterr().out
    assert "3 differences" in out
    assert "models/lstm_seed0/test/prob/1: 0.2 against 0.25" in out
    assert "models/lstm_seed0/epochs: only in the second record" in out
    assert "results/bert/seeds: only in the first record" in out
    assert run(tmp_path, RECORD, b, "--tol", "0.1") == 1            # the keys still differ
    c = copy.deepcopy(RECORD)
    c["models"]["lstm_seed0"]["accuracy"] = 0.84 + 1e-12
    assert run(tmp_path, RECORD, c) == 1 and run(tmp_path, RECORD, c, "--tol", "1e-9") == 0
