"""Every scored (drug, disease) pair to a file, at any scale: TSV, gzip TSV or Parquet, and the disease selection.

``pmkg predict repurposing --all --diseases all`` writes ~44M pairs (3k candidate drugs × 14k diseases). The
rows are written in blocks of diseases (about :data:`BLOCK_ROWS` rows each), so memory beyond the score arrays
themselves stays bounded, and the text is formatted with numpy, not one Python f-string per row:

- ``.tsv``: the columns of :data:`COLUMNS`, tab-separated, with a header; the bytes are those of the former
  per-row writer (``score`` as ``%.6f``, ``probability`` as ``%.6g``, ``known`` 0/1);
- ``.tsv.gz``: the same text gzip-compressed (level :data:`GZIP_LEVEL`), one gzip member per block,
  deflated in two threads while the next block is formatted (``gzip.open``, ``zcat``, pandas read it as one);
- ``.parquet``: the same columns typed (``drug_id``/``disease_id``/``model_version`` string, ``score``
  float32, ``probability`` float64, ``rank`` int32, ``known`` int8), one row group per block, zstd; needs
  ``pyarrow``.

Rows are grouped by disease (in the order of ``diseases``), best rank first (ties by drug order). The file
appears only when complete: it is written as ``<name>.partial`` and renamed at the end.
"""

from __future__ import annotations

import functools
import itertools
import os
import zlib
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import IO

import numpy as np

from pmkg.gnn import TARGET
from pmkg.gnn.candidates import prediction_candidates
from pmkg.kg.export import GraphExport

COLUMNS = ("drug_id", "disease_id", "score", "probability", "rank", "model_version", "known")
FORMATS = {".tsv": "tsv", ".tsv.gz": "tsv.gz", ".parquet": "parquet"}
BLOCK_ROWS = 1 << 20  # rows per block (diseases per block = BLOCK_ROWS // number of drugs, at least one)
GZIP_LEVEL = 1  # zlib level for .tsv.gz: ~4.4x on this text at ~3x the speed of level 6 (~4.9x)


def output_format(path: Path | str) -> str:
    """``"tsv"``, ``"tsv.gz"`` or ``"parquet"`` from the file name's suffix (case-insensitive)."""
    name = Path(path).name.lower()
    for suffix in sorted(FORMATS, key=len, reverse=True):
        if name.endswith(suffix) and len(name) > len(suffix):
            return FORMATS[suffix]
    raise ValueError(f"{path}: unknown output format; name the file *.tsv, *.tsv.gz or *.parquet")


def write_pairs(
    path: Path | str,
    drugs: Sequence[str],
    diseases: Sequence[str],
    scores: np.ndarray,
    probabilities: np.ndarray,
    ranks: np.ndarray,
    known: np.ndarray,
    model_version: str,
) -> Path:
    """Write one row per pair of ``drugs`` × ``diseases``, in the format the suffix of ``path`` names.

    Args:
        path: ``*.tsv``, ``*.tsv.gz`` or ``*.parquet``; its folder is created; written atomically.
        drugs: ``S`` drug CURIEs, the rows of the arrays.
        diseases: ``D`` disease CURIEs, the columns of the arrays.
        scores: ``(S, D)`` logits.
        probabilities: ``(S, D)`` calibrated probabilities.
        ranks: ``(S, D)`` int, per-disease rank of each drug (1 = best), e.g. ``gnn.predict.rank_all(scores)``.
        known: the existing indications, as ``(2, E)`` int (row, column) pairs into the arrays (what
            ``Candidates.restrict`` returns) or as an ``(S, D)`` bool mask.
        model_version: written on every row.

    Returns:
        ``path`` (as a ``Path``).
    """
    path = Path(path)
    fmt = output_format(path)
    scores, probabilities, ranks = np.asarray(scores), np.asarray(probabilities), np.asarray(ranks)
    shape = (len(drugs), len(diseases))
    for name, array in (("scores", scores), ("probabilities", probabilities), ("ranks", ranks)):
        if array.shape != shape:
            raise ValueError(f"write_pairs: {name} has shape {array.shape}, expected (drugs, diseases) = {shape}")
    known_mask = _known_mask(known, shape)
    blocks = _blocks(scores, probabilities, ranks, known_mask)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial")
    try:
        if fmt == "parquet":
            _write_parquet(tmp, drugs, diseases, blocks, model_version)
        else:
            with open(tmp, "wb") as fh:
                _write_text(fh, drugs, diseases, blocks, model_version, compress=fmt == "tsv.gz")
        os.replace(tmp, path)  # a reader never sees half a file
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def parse_disease_selection(value: str, export: GraphExport) -> np.ndarray:
    """The Disease node indices (sorted, unique, int64) that ``value`` selects:

    - ``indicated``: the diseases with a TREATS or PALLIATES edge (``pmkg predict``'s default);
    - ``all``: every Disease node;
    - a path to an existing file: one disease CURIE per line (blank lines and ``#`` comments skipped);
    - otherwise a comma-separated list of disease CURIEs (one CURIE is a list of one).

    Raises ``ValueError`` naming every unknown id (with the file and line it is on), and
    ``FileNotFoundError`` for a value that looks like a file path (a ``/`` or a file extension) but is none.
    """
    label = TARGET[2]
    text = value.strip()
    if text.lower() == "indicated":
        return prediction_candidates(export, TARGET, "indicated").dst.astype(np.int64)
    if text.lower() == "all":
        return np.arange(export.num_nodes(label), dtype=np.int64)
    index = {curie: i for i, curie in enumerate(export.node_ids.get(label, []))}
    help_text = (f"use `indicated`, `all`, comma-separated {label} CURIEs (e.g. {_example(export, label)}) or a "
                 "file with one CURIE per line")
    candidate = Path(text).expanduser()
    if text and _is_file(candidate):
        entries = _read_id_file(candidate)
        unknown = [(line, curie) for line, curie in entries if curie not in index]
        if unknown:
            where = "; ".join(f"{candidate}:{line}: {curie!r}" for line, curie in unknown[:5])
            more = f" (and {len(unknown) - 5} more)" if len(unknown) > 5 else ""
            raise ValueError(f"unknown {label} id{'s' if len(unknown) > 1 else ''}: {where}{more}; these are not "
                             f"{label} nodes of this graph: correct or delete those lines ({help_text})")
        if not entries:
            raise ValueError(f"{candidate}: no {label} ids in the file (one CURIE per line; blank lines and # "
                             "comments are skipped)")
        return np.unique(np.array([index[c] for _, c in entries], dtype=np.int64))
    if _looks_like_path(text):
        raise FileNotFoundError(f"{text}: no such file of {label} ids ({help_text})")
    ids = [part.strip() for part in text.split(",") if part.strip()]
    if not ids:
        raise ValueError(f"--diseases {value!r} selects no disease: {help_text}")
    unknown_ids = [c for c in ids if c not in index]
    if unknown_ids:
        shown = ", ".join(repr(c) for c in unknown_ids[:5]) + (
            f" (and {len(unknown_ids) - 5} more)" if len(unknown_ids) > 5 else "")
        raise ValueError(f"unknown {label} id{'s' if len(unknown_ids) > 1 else ''} {shown}: not {label} nodes of "
                         f"this graph (ids are CURIEs, case-sensitive); {help_text}")
    return np.unique(np.array([index[c] for c in ids], dtype=np.int64))


def _read_id_file(path: Path) -> list[tuple[int, str]]:
    entries = []
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            curie = line.split("#", 1)[0].strip()
            if curie:
                entries.append((number, curie))
    return entries


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # e.g. a long comma-separated list is no valid file name
        return False


def _looks_like_path(text: str) -> bool:
    name = Path(text).name
    return os.sep in text or "/" in text or (
        "," not in text and "." in name and name.rsplit(".", 1)[1].lower() in {"txt", "tsv", "csv", "list", "ids"})


def _example(export: GraphExport, label: str) -> str:
    ids = export.node_ids.get(label, [])
    return ",".join(ids[:2]) if ids else "DOID:1234"


def _known_mask(known: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    known = np.asarray(known)
    if known.dtype == bool:
        if known.shape != shape:
            raise ValueError(f"write_pairs: the known mask has shape {known.shape}, expected {shape}")
        return known
    known = known.reshape(2, -1).astype(np.int64)
    if known.size and (known.min() < 0 or known[0].max() >= shape[0] or known[1].max() >= shape[1]):
        raise ValueError(f"write_pairs: a known pair lies outside the {shape} block (pass candidate indices)")
    mask = np.zeros(shape, dtype=bool)
    mask[known[0], known[1]] = True
    return mask


class _Block:
    """One block of diseases, rows in output order: disease ``cols[0]``'s drugs best rank first, then the next."""

    def __init__(self, start: int, drug: np.ndarray, disease: np.ndarray, score: np.ndarray,
                 probability: np.ndarray, rank: np.ndarray, known: np.ndarray) -> None:
        self.start, self.drug, self.disease = start, drug, disease
        self.score, self.probability, self.rank, self.known = score, probability, rank, known


def _blocks(scores: np.ndarray, probabilities: np.ndarray, ranks: np.ndarray, known: np.ndarray) -> Iterator[_Block]:
    n_drugs, n_diseases = scores.shape
    step = max(1, BLOCK_ROWS // max(1, n_drugs))
    for start in range(0, n_diseases, step):
        stop = min(start + step, n_diseases)

        def rows(a: np.ndarray, order: np.ndarray, start: int = start, stop: int = stop) -> np.ndarray:
            # (D_b, S) contiguous, each disease's drugs in rank order, flattened disease by disease
            return np.take_along_axis(np.ascontiguousarray(a[:, start:stop].T), order, axis=1).ravel()

        order = np.argsort(np.ascontiguousarray(ranks[:, start:stop].T), axis=1, kind="stable")
        yield _Block(
            start,
            drug=order.ravel(),
            disease=np.repeat(np.arange(start, stop), n_drugs),
            score=rows(scores, order),
            probability=rows(probabilities, order),
            rank=rows(ranks, order),
            known=rows(known, order),
        )


# ---- Parquet ------------------------------------------------------------------------------------------------


def _write_parquet(tmp: Path, drugs: Sequence[str], diseases: Sequence[str], blocks: Iterator[_Block],
                   model_version: str) -> None:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ValueError("writing .parquet needs pyarrow (pip install pyarrow); or name the file *.tsv.gz") from exc
    schema = pa.schema([
        ("drug_id", pa.string()), ("disease_id", pa.string()), ("score", pa.float32()),
        ("probability", pa.float64()), ("rank", pa.int32()), ("model_version", pa.string()), ("known", pa.int8()),
    ])
    drug_dict, disease_dict = pa.array(list(drugs), pa.string()), pa.array(list(diseases), pa.string())
    with pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
        for block in blocks:
            n = block.drug.size
            columns = [
                pa.DictionaryArray.from_arrays(pa.array(block.drug.astype(np.int32)), drug_dict).cast(pa.string()),
                pa.DictionaryArray.from_arrays(pa.array(block.disease.astype(np.int32)), disease_dict).cast(
                    pa.string()),
                pa.array(block.score.astype(np.float32, copy=False)),
                pa.array(block.probability.astype(np.float64, copy=False)),
                pa.array(block.rank.astype(np.int32)),
                pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, dtype=np.int32)),
                                               pa.array([model_version], pa.string())).cast(pa.string()),
                pa.array(block.known.astype(np.int8)),
            ]
            writer.write_table(pa.Table.from_arrays(columns, schema=schema), row_group_size=max(n, 1))


# ---- TSV ----------------------------------------------------------------------------------------------------


def _write_text(fh: IO[bytes], drugs: Sequence[str], diseases: Sequence[str], blocks: Iterator[_Block],
                model_version: str, compress: bool) -> None:
    """The header, then every block formatted with numpy. With ``compress``, each block becomes one gzip
    member (a gzip file may hold several; every reader joins them), deflated in a pool of two threads (zlib
    releases the GIL) while the next block is formatted; at most three blocks are in flight."""
    drug_tab, disease_tab = _tabbed(drugs), _tabbed(diseases)
    header = ("\t".join(COLUMNS) + "\n").encode()
    chunks = itertools.chain([header], (_format_block(b, drug_tab, disease_tab, model_version) for b in blocks))
    if not compress:
        for chunk in chunks:
            fh.write(chunk)
        return
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="pair-output-gzip") as pool:
        pending: deque[Future[bytes]] = deque()
        for chunk in chunks:
            pending.append(pool.submit(_gzip_member, chunk))
            while len(pending) > 2:
                fh.write(pending.popleft().result())
        while pending:
            fh.write(pending.popleft().result())


def _gzip_member(data: bytes) -> bytes:
    deflate = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # with a gzip header
    return deflate.compress(data) + deflate.flush()


# The text is built from numpy byte strings (dtype "S": NUL-padded, and np.char.add joins them without the
# padding): "drug\t" + "disease\t" + "score\t" + "probability\t" + "rank\tversion\tknown\n" per row, and the
# block's bytes are the non-NUL bytes of those rows in order. Ids never contain a NUL byte.
_TAB, _DOT, _NUL = (ord(c) for c in "\t.\0")
_POW10_MIN = -300
_POW10 = np.array([10.0**k for k in range(_POW10_MIN, 301)])  # 10**k for k = -300..300 (|e| <= 290 here)
_TABLE_LIMIT = 1 << 20  # integers (score's whole part, ranks) up to this many values go through a lookup table


@functools.cache
def _six_digits() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For every ``v`` in 0..999999, as 8-byte rows (uint64): ``"dddddd\0\0"`` and ``".dddddd\t"`` (its six
    digits, zero-padded), and its number of trailing zeros (uint8; 6 for 0). Built once, 17 MB."""
    values = np.arange(1_000_000, dtype=np.int64)
    digits = np.zeros((values.size, 8), dtype=np.uint8)
    rest = values
    for col in range(5, -1, -1):
        rest, digit = np.divmod(rest, 10)
        digits[:, col] = ord("0") + digit
    fraction = np.empty_like(digits)
    fraction[:, 0], fraction[:, 1:7], fraction[:, 7] = _DOT, digits[:, :6], _TAB
    trailing = np.zeros(values.size, dtype=np.uint8)
    for col in range(5, -1, -1):
        trailing += np.all(digits[:, col:6] == ord("0"), axis=1)
    return digits.view(np.uint64).ravel(), fraction.view(np.uint64).ravel(), trailing


def _tabbed(values: Sequence[str]) -> np.ndarray:
    return np.array([str(v).encode() + b"\t" for v in values] or [b"\t"], dtype=np.bytes_)


def _format_block(block: _Block, drug_tab: np.ndarray, disease_tab: np.ndarray, model_version: str) -> bytes:
    """The TSV lines of one block."""
    n = block.drug.size
    if n == 0:
        return b""
    line = np.char.add(drug_tab[block.drug], disease_tab[block.disease])
    line = np.char.add(line, _fixed6(block.score))
    line = np.char.add(line, _general6(block.probability))
    line = np.char.add(line, _tail(block.rank, block.known, model_version))
    cells = np.ascontiguousarray(line).view(np.uint8)
    return cells[cells != _NUL].tobytes()


def _strings_with(strings: np.ndarray, rows: np.ndarray, texts: list[str]) -> np.ndarray:
    """``strings`` with ``texts`` at ``rows`` (widened if they are longer): the values formatted by Python."""
    if not rows.size:
        return strings
    encoded = np.array([t.encode() for t in texts], dtype=np.bytes_)
    strings = strings.astype(np.dtype(("S", max(strings.dtype.itemsize, encoded.dtype.itemsize))))
    strings[rows] = encoded
    return strings


def _tail(ranks: np.ndarray, known: np.ndarray, model_version: str) -> np.ndarray:
    """``f"{rank}\t{model_version}\t{known}\n"`` of every row."""
    ranks = np.asarray(ranks).astype(np.int64)
    flag = np.asarray(known).astype(bool)
    low, high = int(ranks.min(initial=0)), int(ranks.max(initial=0))
    if high - low < _TABLE_LIMIT:
        size = high - low + 1
        table = np.array([f"{r}\t{model_version}\t{k}\n".encode() for k in (0, 1) for r in range(low, high + 1)],
                         dtype=np.bytes_)
        return table[(ranks - low) + flag * size]
    return np.array([f"{r}\t{model_version}\t{int(k)}\n".encode() for r, k in zip(ranks.tolist(), flag.tolist(),
                                                                                  strict=True)], dtype=np.bytes_)


def _fixed6(values: np.ndarray) -> np.ndarray:
    """``f"{v:.6f}\t"`` of every value (Python's correctly rounded output, byte for byte).

    ``|v| * 1e6`` rounded half-to-even is the printed integer: exact for float32 input (24 + 20 bits < 53);
    for float64 input the few values within 1e-6 of a rounding tie, and NaN, inf and huge values, go through
    Python's formatting.
    """
    values = np.asarray(values)
    x = values.astype(np.float64)
    scaled = np.abs(x) * 1e6
    fine = np.isfinite(scaled) & (scaled < 1e6 * (_TABLE_LIMIT - 1))
    scaled = np.where(fine, scaled, 0.0)
    if values.dtype != np.float32:
        fine &= np.abs(scaled - np.floor(scaled) - 0.5) > 1e-6
    whole, frac = np.divmod(np.where(fine, np.rint(scaled), 0.0).astype(np.int64), 1_000_000)
    neg = np.signbit(x)  # Python prints "-0.000000" for -0.0 and -1e-9
    top = int(whole.max(initial=0)) + 1
    table = np.array([f"{w}".encode() for w in range(top)] + [f"-{w}".encode() for w in range(top)],
                     dtype=np.bytes_)
    out = np.char.add(table[whole + neg * top], _six_digits()[1][frac].view("S8"))  # + ".dddddd\t"
    odd = np.flatnonzero(~fine)
    return _strings_with(out, odd, [f"{float(x[i]):.6f}\t" for i in odd])


def _general6(values: np.ndarray) -> np.ndarray:
    """``f"{v:.6g}\t"`` of every value (Python's output, byte for byte).

    Six significant digits ``m = rint(|v| * 10**(5 - e))``; the layout (fixed or exponent, how many digits
    are left after trailing zeros are dropped) depends only on ``(sign, e, last non-zero digit)``, so each
    such group takes its layout from Python's formatting of one marker value. Values within 1e-8 of a
    rounding tie, NaN, inf and magnitudes outside 1e-290..1e290 go through Python's formatting.
    """
    x = np.asarray(values).astype(np.float64)
    n = x.size
    a = np.abs(x)
    zero = a == 0  # "0" or "-0"
    fine = np.isfinite(a) & (a > 1e-290) & (a < 1e290)
    safe = np.where(fine, a, 1.0)
    e = np.floor(np.log10(safe)).astype(np.int64)
    m = safe * _POW10[5 - e - _POW10_MIN]
    for shift, wrong in ((1, np.rint(m) >= 1e6), (-1, np.rint(m) < 1e5)):  # log10 can be one off
        if wrong.any():
            e = np.where(wrong, e + shift, e)
            m = np.where(wrong, safe * _POW10[5 - e - _POW10_MIN], m)
    mantissa = np.rint(m)
    fine &= (np.abs(m - np.floor(m) - 0.5) > 1e-8) & (mantissa >= 1e5) & (mantissa < 1e6)
    six, _, zeros_at_end = _six_digits()
    whole = np.where(fine, mantissa, 1e5).astype(np.int64)
    digits = six[whole].view(np.uint8).reshape(n, 8)
    trailing = zeros_at_end[whole].astype(np.int64)
    fine |= zero
    neg = np.signbit(x)
    e = np.where(zero | ~fine, 0, e)
    last = np.where(zero, 0, 5 - trailing)  # index of the last non-zero digit
    key = np.where(fine, ((e - e.min(initial=0)) * 6 + last) * 4 + neg * 2 + zero, -1)
    layouts = {}
    present = np.flatnonzero(np.bincount(key[fine])) if fine.any() else np.zeros(0, dtype=np.int64)
    for k in present.tolist():
        i = int(np.argmax(key == k))
        layouts[k] = _layout(int(e[i]), int(last[i]), bool(neg[i]), bool(zero[i])) + [b"\t"]
    width = max((len(layout) for layout in layouts.values()), default=1)
    out = np.zeros(n, dtype=np.dtype(("S", width)))
    for k, layout in layouts.items():
        rows = np.flatnonzero(key == k)
        pieces: list[np.ndarray] = []
        run: list[int] = []
        for item in layout + [b""]:
            if isinstance(item, int) and (not run or item == run[-1] + 1):
                run.append(item)
                continue
            if run:
                pieces.append(digits[rows, run[0] : run[-1] + 1])
                run = [item] if isinstance(item, int) else []
            if isinstance(item, bytes) and item:
                pieces.append(np.full((rows.size, 1), item[0], dtype=np.uint8))
        chars = np.concatenate(pieces, axis=1)
        out[rows] = chars.view(np.dtype(("S", chars.shape[1]))).ravel()
    odd = np.flatnonzero(~fine)
    return _strings_with(out, odd, [f"{float(x[i]):.6g}\t" for i in odd])


def _layout(e: int, last: int, neg: bool, zero: bool = False) -> list[int | bytes]:
    """The characters of ``%.6g`` for six significant digits ``d0..d5`` (the last non-zero one at ``last``)
    and decimal exponent ``e``: an int is a digit index, bytes a literal. Read off Python's output for the
    marker digits 1, 2, 3, ... (non-zero, so each names its position; the exponent part is literal)."""
    if zero:
        return [c.encode() for c in ("-0" if neg else "0")]
    marker = "123456"[: last + 1]
    text = f"{float(f'{marker[0]}.{marker[1:] or 0}e{e}') * (-1 if neg else 1):.6g}"
    mantissa, sep, exponent = text.partition("e")
    layout: list[int | bytes] = [int(c) - 1 if c in marker else c.encode() for c in mantissa]
    return layout + [c.encode() for c in sep + exponent]
