"""``pmkg.workflows.pair_output``: every pair to TSV, gzip TSV or Parquet, and the ``--diseases`` selection.

The TSV must be byte for byte what the former per-row writer (``repurposing.write_pair_tsv``) wrote; the other
formats must read back to the same rows.
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import numpy as np
import pytest
from pmkg.gnn import TARGET
from pmkg.gnn.candidates import prediction_candidates
from pmkg.gnn.predict import rank_all
from pmkg.kg.export import GraphExport

from pmkg.workflows import pair_output
from pmkg.workflows.pair_output import COLUMNS, parse_disease_selection, write_pairs
from pmkg.workflows.repurposing import write_pair_tsv
from tests.test_gnn_paths import class_export


def pair_arrays(n_drugs: int = 37, n_diseases: int = 23, seed: int = 0):
    """Scores, probabilities and ranks with the awkward values: ties, -0.0, zeros, tiny and exact ones (cut to
    the first ``n_drugs`` × ``n_diseases``)."""
    rng = np.random.default_rng(seed)
    scores = rng.normal(0, 4, (37, 23)).astype(np.float32)
    scores[0, :5] = [0.0, -0.0, -1e-9, 5e-7, 123.4567]
    scores[1:4, 5] = scores[0, 5]  # ties: broken by the drug order
    probabilities = 1 / (1 + np.exp(-(1.3 * scores.astype(np.float64) - 6)))
    probabilities[2, :6] = [0.0, 1.0, 1e-5, 9.9999996e-05, 3.25e-12, 0.5]
    scores, probabilities = scores[:n_drugs, :n_diseases], probabilities[:n_drugs, :n_diseases]
    known = np.array([[0, 3, 7, 36], [0, 5, 22, 1]])
    known = known[:, (known[0] < n_drugs) & (known[1] < n_diseases)]
    ranks = rank_all(scores, exclude=known)  # known pairs get rank 0 and come first
    drugs = [f"DRUGBANK:DB{i:05d}" for i in range(n_drugs)]
    diseases = [f"MONDO:{i:07d}" if i % 3 else f"DOID:{i}" for i in range(n_diseases)]
    return drugs, diseases, scores, probabilities, ranks, known


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pair_output, "BLOCK_ROWS", 100)  # two or three diseases per block


def read_tsv(text: str) -> list[list[str]]:
    return [line.split("\t") for line in text.splitlines()]


@pytest.mark.usefixtures("small_blocks")
def test_tsv_is_byte_for_byte_the_former_writer(tmp_path: Path) -> None:
    args = pair_arrays()
    write_pair_tsv(tmp_path / "old.tsv", *args, "v1-abc")
    out = write_pairs(tmp_path / "sub" / "new.tsv", *args, "v1-abc")
    assert out == tmp_path / "sub" / "new.tsv"
    assert out.read_bytes() == (tmp_path / "old.tsv").read_bytes()
    rows = read_tsv(out.read_text())
    assert tuple(rows[0]) == COLUMNS and len(rows) == 1 + 37 * 23
    assert [r[1] for r in rows[1:38]] == ["DOID:0"] * 37 and rows[1][0] == "DRUGBANK:DB00000" and rows[1][4] == "0"
    assert not list(tmp_path.rglob("*.partial"))


@pytest.mark.usefixtures("small_blocks")
def test_float64_scores_and_odd_values_format_as_python_does(tmp_path: Path) -> None:
    drugs, diseases, scores, probabilities, ranks, known = pair_arrays(5, 4, seed=1)
    scores = scores.astype(np.float64)
    scores[0, 0], scores[1, 1], scores[2, 2], scores[3, 3] = np.nan, np.inf, 2.5e-6, 1e15
    probabilities[0, 1], probabilities[4, 3] = np.nan, 1e-300
    args = (drugs, diseases, scores, probabilities, ranks, known, "v")
    write_pair_tsv(tmp_path / "old.tsv", *args)
    assert write_pairs(tmp_path / "new.tsv", *args).read_bytes() == (tmp_path / "old.tsv").read_bytes()


@pytest.mark.usefixtures("small_blocks")
def test_gzip_reads_back_as_the_tsv(tmp_path: Path) -> None:
    args = pair_arrays()
    tsv = write_pairs(tmp_path / "pairs.tsv", *args, "v1")
    gz = write_pairs(tmp_path / "pairs.tsv.gz", *args, "v1")
    with gzip.open(gz, "rb") as fh:  # one gzip member per block; readers join them
        assert fh.read() == tsv.read_bytes()
    assert gz.stat().st_size < tsv.stat().st_size


@pytest.mark.usefixtures("small_blocks")
def test_parquet_reads_back_with_pyarrow(tmp_path: Path) -> None:
    import pyarrow.parquet as pq
    args = pair_arrays()
    drugs, diseases, scores, probabilities, ranks, known = args
    path = write_pairs(tmp_path / "pairs.parquet", *args, "v1")
    table = pq.read_table(path)
    assert tuple(table.column_names) == COLUMNS and table.num_rows == 37 * 23
    assert pq.ParquetFile(path).metadata.num_row_groups > 1  # streamed in blocks
    rows = read_tsv(write_pairs(tmp_path / "pairs.tsv", *args, "v1").read_text())[1:]
    got = table.to_pydict()
    assert got["drug_id"] == [r[0] for r in rows] and got["disease_id"] == [r[1] for r in rows]
    assert got["rank"] == [int(r[4]) for r in rows] and got["known"] == [int(r[6]) for r in rows]
    assert set(got["model_version"]) == {"v1"}
    d_index = {d: i for i, d in enumerate(drugs)}
    s_index = {d: j for j, d in enumerate(diseases)}
    i = np.array([d_index[d] for d in got["drug_id"]])
    j = np.array([s_index[d] for d in got["disease_id"]])
    np.testing.assert_array_equal(np.array(got["score"], dtype=np.float32), scores[i, j])
    np.testing.assert_array_equal(np.array(got["probability"]), probabilities[i, j])
    assert sum(got["known"]) == known.shape[1]


def test_known_as_a_mask_equals_known_as_pairs(tmp_path: Path) -> None:
    drugs, diseases, scores, probabilities, ranks, known = pair_arrays()
    mask = np.zeros(scores.shape, dtype=bool)
    mask[known[0], known[1]] = True
    a = write_pairs(tmp_path / "a.tsv", drugs, diseases, scores, probabilities, ranks, known, "v")
    b = write_pairs(tmp_path / "b.tsv", drugs, diseases, scores, probabilities, ranks, mask, "v")
    assert a.read_bytes() == b.read_bytes()


def test_empty_blocks_write_a_header_only(tmp_path: Path) -> None:
    empty = np.zeros((3, 0))
    path = write_pairs(tmp_path / "e.tsv.gz", ["a", "b", "c"], [], empty, empty, empty.astype(int),
                       np.zeros((2, 0), int), "v")
    with gzip.open(path, "rt") as fh:
        assert fh.read() == "\t".join(COLUMNS) + "\n"


def test_a_failed_write_leaves_no_file_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pair_output, "BLOCK_ROWS", 100)
    target = tmp_path / "pairs.tsv.gz"
    target.write_bytes(b"yesterday's file")
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk full")
        return original(*args, **kwargs)

    original = pair_output._format_block
    monkeypatch.setattr(pair_output, "_format_block", failing)
    with pytest.raises(OSError, match="disk full"):
        write_pairs(target, *pair_arrays(), "v1")
    assert target.read_bytes() == b"yesterday's file"  # the old file stays whole
    assert not (tmp_path / "pairs.tsv.gz.partial").exists()


def test_the_suffix_chooses_the_format_and_others_are_refused(tmp_path: Path) -> None:
    assert pair_output.output_format("x/PAIRS.TSV.GZ") == "tsv.gz"
    assert pair_output.output_format("pairs.parquet") == "parquet"
    assert pair_output.output_format(tmp_path / "pairs.tsv") == "tsv"
    for bad in ("pairs.csv", "pairs.gz", ".tsv"):
        with pytest.raises(ValueError, match=r"\*\.tsv, \*\.tsv\.gz or \*\.parquet"):
            write_pairs(tmp_path / bad, *pair_arrays(), "v")


def test_mismatched_shapes_are_refused(tmp_path: Path) -> None:
    drugs, diseases, scores, probabilities, ranks, known = pair_arrays()
    with pytest.raises(ValueError, match="probabilities has shape"):
        write_pairs(tmp_path / "p.tsv", drugs, diseases, scores, probabilities[:, :3], ranks, known, "v")
    with pytest.raises(ValueError, match="outside"):
        write_pairs(tmp_path / "p.tsv", drugs, diseases, scores, probabilities, ranks, np.array([[99], [0]]), "v")


# ---- --diseases ----------------------------------------------------------------------------------------------


@pytest.fixture
def export() -> GraphExport:
    return class_export()  # diseases DOID:0, DOID:1, DOID:2; TREATS edges on DOID:0 and DOID:1


def test_named_disease_sets(export: GraphExport) -> None:
    np.testing.assert_array_equal(parse_disease_selection("indicated", export),
                                  prediction_candidates(export, TARGET, "indicated").dst)
    np.testing.assert_array_equal(parse_disease_selection(" ALL ", export), [0, 1, 2])


def test_a_comma_separated_list(export: GraphExport) -> None:
    got = parse_disease_selection("DOID:2, DOID:0,DOID:2,", export)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, [0, 2])
    np.testing.assert_array_equal(parse_disease_selection("DOID:1", export), [1])


def test_an_unknown_id_in_a_list_is_named(export: GraphExport) -> None:
    with pytest.raises(ValueError, match=r"unknown Disease ids 'DOID:9', 'doid:1': not Disease nodes") as err:
        parse_disease_selection("DOID:0,DOID:9,doid:1", export)
    assert "e.g. DOID:0,DOID:1" in str(err.value) and "one CURIE per line" in str(err.value)
    with pytest.raises(ValueError, match="selects no disease"):
        parse_disease_selection(" , ", export)


def test_a_file_of_ids(export: GraphExport, tmp_path: Path) -> None:
    ids = tmp_path / "diseases.txt"
    ids.write_text("# my diseases\nDOID:2\n\n  DOID:1  # comment\nDOID:2\n")
    np.testing.assert_array_equal(parse_disease_selection(str(ids), export), [1, 2])


def test_an_unknown_id_in_a_file_names_the_file_and_line(export: GraphExport, tmp_path: Path) -> None:
    ids = tmp_path / "diseases.txt"
    ids.write_text("DOID:0\nDOID:1\n\nMONDO:0005015\n")
    with pytest.raises(ValueError) as err:
        parse_disease_selection(str(ids), export)
    message = str(err.value)
    assert f"{ids}:4: 'MONDO:0005015'" in message
    assert "correct or delete those lines" in message
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n\n")
    with pytest.raises(ValueError, match="no Disease ids in the file"):
        parse_disease_selection(str(empty), export)


def test_a_missing_file_is_reported_as_such(export: GraphExport, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such file of Disease ids"):
        parse_disease_selection(str(tmp_path / "nope.txt"), export)
    with pytest.raises(FileNotFoundError):
        parse_disease_selection("lists/diseases", export)


def test_tsv_header_and_rows_parse_back(tmp_path: Path) -> None:
    drugs, diseases, scores, probabilities, ranks, known = pair_arrays(4, 3)
    text = write_pairs(tmp_path / "p.tsv", drugs, diseases, scores, probabilities, ranks, known, "v").read_text()
    rows = list(io.StringIO(text))
    assert len(rows) == 1 + 12 and all(line.count("\t") == 6 for line in rows)
