"""Metapaths: the typed walks that explain a (Drug, Disease) or (Patient, Drug) link, and the Cypher that counts them.

A metapath is a sequence of relationship types between node labels, e.g. ``CbGaD``: Drug -TARGETS-> Gene
<-ASSOCIATED_WITH- Disease. Rephetio (Himmelstein et al. 2017, eLife) scores a pair by its *degree-weighted path
count* (DWPC) per metapath; each path's share is its *path-degree product* (PDP):

    PDP(path)  = prod over the path's edges (u, v) of metaedge M:  D_M(u) ** -w  *  D_M(v) ** -w
    DWPC_m     = sum of PDP over the paths of metapath m between the pair

``D_M(x)`` is the number of distinct neighbours of ``x`` along metaedge ``M`` (relationship type, direction and
the label at the other end), so two sources asserting the same edge count once, and ``w`` is the damping
exponent (Rephetio's 0.4). A hub gene or a drug with hundreds of targets therefore contributes little per path.

The catalogue below is data: :func:`evidence_query` turns it into the named query files
``queries/evidence_paths.cypher`` and ``queries/patient_drug_evidence.cypher`` (regenerate them with
``python -m pmkg.kg.metapaths``; a test keeps them in sync). Every branch of those queries is
anchored on both ends by id (index-backed) and walks only its metapath, so its cost is bounded by the degrees along
one typed path, never by an open-ended variable-length expansion.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from pmkg.kg.schema import RELATIONSHIPS

DEFAULT_DAMPING = 0.4  # Rephetio's w
# The damping exponents every entry point accepts: the named queries' header (generated below), `pmkg explain`
# and GET /v1/pairs/{drug}/{disease}/explanation. Above 1 a hub's paths vanish; NaN and Infinity make no sense.
DAMPING_RANGE = (0.0, 1.0)


@dataclass(frozen=True)
class Step:
    """One hop: the relationship type, its direction as seen from the walk, and the label reached."""

    rel: str
    direction: str  # ">" (prev)-[:rel]->(next), "<" (prev)<-[:rel]-(next), "-" either way (symmetric relation)
    label: str

    def pattern(self, rel_var: str = "") -> str:
        inner = f"[{rel_var}:{self.rel}]"
        return {">": f"-{inner}->", "<": f"<-{inner}-", "-": f"-{inner}-"}[self.direction]

    def reversed(self) -> str:
        """The direction seen from the other end of the hop."""
        return {">": "<", "<": ">", "-": "-"}[self.direction]


@dataclass(frozen=True)
class Metapath:
    abbrev: str
    source: str  # label of the first node
    steps: tuple[Step, ...]
    meaning: str  # what a path of this kind says, in words
    from_target: bool = False  # write the MATCH from the target end (it fans out less)

    @property
    def labels(self) -> tuple[str, ...]:
        return (self.source, *(s.label for s in self.steps))

    @property
    def target(self) -> str:
        return self.steps[-1].label

    def describe(self) -> str:
        parts = [f"({self.source})"]
        for step in self.steps:
            parts.append(f"{step.pattern()}({step.label})")
        return "".join(parts)


def _mp(abbrev: str, source: str, meaning: str, *steps: tuple[str, str, str], from_target: bool = False) -> Metapath:
    return Metapath(abbrev, source, tuple(Step(*s) for s in steps), meaning, from_target)


# Rephetio's informative Compound-Disease metapaths, in this graph's vocabulary, plus the ones the extra sources
# make possible (Disease Ontology IS_A, HPO phenotypes, PharmGKB/CPIC pharmacogenomics). Length-4 metapaths
# (through pathways or GO terms) are left out: their path counts explode on hub terms for little gain.
DRUG_DISEASE: tuple[Metapath, ...] = (
    _mp("CbGaD", "Drug", "binds a gene associated with the disease",
        ("TARGETS", ">", "Gene"), ("ASSOCIATED_WITH", "<", "Disease")),
    _mp("CdGuD", "Drug", "down-regulates a gene the disease up-regulates",
        ("DOWNREGULATES", ">", "Gene"), ("UPREGULATES", "<", "Disease")),
    _mp("CuGdD", "Drug", "up-regulates a gene the disease down-regulates",
        ("UPREGULATES", ">", "Gene"), ("DOWNREGULATES", "<", "Disease")),
    _mp("CrGaD", "Drug", "its response depends on a gene associated with the disease (PGx)",
        ("AFFECTS_RESPONSE_TO", "<", "Gene"), ("ASSOCIATED_WITH", "<", "Disease")),
    _mp("CrVaD", "Drug", "its response depends on a variant associated with the disease (PGx)",
        ("AFFECTS_RESPONSE_TO", "<", "Variant"), ("ASSOCIATED_WITH", ">", "Disease")),
    _mp("CrCtD", "Drug", "resembles a drug that treats the disease",
        ("RESEMBLES", "-", "Drug"), ("TREATS", ">", "Disease"),
        from_target=True),
    _mp("CtDrD", "Drug", "treats a disease that resembles the disease",
        ("TREATS", ">", "Disease"), ("RESEMBLES", "-", "Disease")),
    _mp("CtDiD", "Drug", "treats a parent or subtype of the disease (Disease Ontology)",
        ("TREATS", ">", "Disease"), ("IS_A", "-", "Disease")),
    _mp("CbGbCtD", "Drug", "shares a target with a drug that treats the disease",
        ("TARGETS", ">", "Gene"), ("TARGETS", "<", "Drug"), ("TREATS", ">", "Disease"),
        from_target=True),
    _mp("CiPCiCtD", "Drug", "is in a pharmacologic class with a drug that treats the disease",
        ("IN_CLASS", ">", "PharmacologicClass"), ("IN_CLASS", "<", "Drug"), ("TREATS", ">", "Disease"),
        from_target=True),
    _mp("CcSEcCtD", "Drug", "shares a side effect with a drug that treats the disease",
        ("CAUSES_SIDE_EFFECT", ">", "SideEffect"), ("CAUSES_SIDE_EFFECT", "<", "Drug"), ("TREATS", ">", "Disease"),
        from_target=True),
    _mp("CbGiGaD", "Drug", "binds a gene that interacts with a gene associated with the disease",
        ("TARGETS", ">", "Gene"), ("INTERACTS_WITH", "-", "Gene"), ("ASSOCIATED_WITH", "<", "Disease")),
    _mp("CtDaGaD", "Drug", "treats a disease that shares an associated gene with the disease",
        ("TREATS", ">", "Disease"), ("ASSOCIATED_WITH", ">", "Gene"), ("ASSOCIATED_WITH", "<", "Disease")),
    _mp("CtDpSpD", "Drug", "treats a disease that presents a symptom of the disease",
        ("TREATS", ">", "Disease"), ("PRESENTS", ">", "Symptom"), ("PRESENTS", "<", "Disease")),
    _mp("CtDhPhD", "Drug", "treats a disease that shares a phenotype (HPO) with the disease",
        ("TREATS", ">", "Disease"), ("HAS_PHENOTYPE", ">", "Phenotype"), ("HAS_PHENOTYPE", "<", "Disease")),
    _mp("CtDlAlD", "Drug", "treats a disease that localises to an anatomy the disease localises to",
        ("TREATS", ">", "Disease"), ("LOCALIZES_TO", ">", "Anatomy"), ("LOCALIZES_TO", "<", "Disease")),
)  # fmt: skip

# Patient -> Drug, through what the patient record holds: diagnoses, phenotypes, diplotypes and variants.
PATIENT_DRUG: tuple[Metapath, ...] = (
    _mp("PdDtC", "Patient", "is diagnosed with a disease the drug treats",
        ("HAS_DIAGNOSIS", ">", "Disease"), ("TREATS", "<", "Drug")),
    _mp("PdDpC", "Patient", "is diagnosed with a disease the drug palliates",
        ("HAS_DIAGNOSIS", ">", "Disease"), ("PALLIATES", "<", "Drug")),
    _mp("PgGrC", "Patient", "has a diplotype in a gene that affects response to the drug (PGx)",
        ("HAS_DIPLOTYPE", ">", "Gene"), ("AFFECTS_RESPONSE_TO", ">", "Drug")),
    _mp("PcVrC", "Patient", "carries a variant that affects response to the drug (PGx)",
        ("CARRIES", ">", "Variant"), ("AFFECTS_RESPONSE_TO", ">", "Drug")),
    _mp("PdDaGbC", "Patient", "is diagnosed with a disease associated with a gene the drug binds",
        ("HAS_DIAGNOSIS", ">", "Disease"), ("ASSOCIATED_WITH", ">", "Gene"), ("TARGETS", "<", "Drug")),
    _mp("PdDiDtC", "Patient", "is diagnosed with a parent or subtype of a disease the drug treats",
        ("HAS_DIAGNOSIS", ">", "Disease"), ("IS_A", "-", "Disease"), ("TREATS", "<", "Drug")),
    _mp("PhPhDtC", "Patient", "has a phenotype of a disease the drug treats",
        ("HAS_PHENOTYPE", ">", "Phenotype"), ("HAS_PHENOTYPE", "<", "Disease"), ("TREATS", "<", "Drug")),
)  # fmt: skip

METAPATHS: dict[str, Metapath] = {m.abbrev: m for m in (*DRUG_DISEASE, *PATIENT_DRUG)}


def check_catalogue(metapaths: tuple[Metapath, ...]) -> None:
    """Every step must be an edge the schema allows, in the stated direction (symmetric ones either way)."""
    for metapath in metapaths:
        prev = metapath.source
        for step in metapath.steps:
            endpoints = RELATIONSHIPS[step.rel].endpoints
            wanted = {">": {(prev, step.label)}, "<": {(step.label, prev)}}.get(
                step.direction, {(prev, step.label), (step.label, prev)}
            )
            if not wanted & endpoints:
                raise ValueError(f"{metapath.abbrev}: {prev} {step.pattern()} {step.label} is not in kg/schema.py")
            prev = step.label


# ------------------------------------------------------------------------------------------------ Cypher text


def _other_ends(rel: str, direction: str, own_label: str) -> set[str]:
    """Labels the schema allows at the far end of ``rel`` from a ``own_label`` node, walking in ``direction``."""
    endpoints = RELATIONSHIPS[rel].endpoints
    outgoing = {dst for src, dst in endpoints if src == own_label}
    incoming = {src for src, dst in endpoints if dst == own_label}
    return {">": outgoing, "<": incoming}.get(direction, outgoing | incoming)


def _degree(node: str, step: Step, direction: str, own_label: str, other_label: str) -> str:
    """Distinct neighbours of ``node`` along the metaedge; DISTINCT because two sources may assert one edge."""
    # The label test costs a record load per neighbour, so it is written only where the schema leaves a choice.
    needs_label = _other_ends(step.rel, direction, own_label) != {other_label}
    hop = Step(step.rel, direction, other_label).pattern()
    far = f"x:{other_label}" if needs_label else "x"
    return f"COUNT {{ MATCH ({node}){hop}({far}) RETURN DISTINCT x }}"


def _walk(metapath: Metapath, names: list[str]) -> str:
    """The MATCH pattern, written from the end that fans out less: ArcadeDB expands in the order written."""
    labels = metapath.labels
    k = len(metapath.steps)
    if not metapath.from_target:
        return "(a)" + "".join(
            s.pattern() + (f"({names[i + 1]}:{labels[i + 1]})" if i + 1 < k else "(b)")
            for i, s in enumerate(metapath.steps)
        )
    text = "(b)"
    for i in range(k - 1, -1, -1):
        step = metapath.steps[i]
        back = Step(step.rel, step.reversed(), labels[i]).pattern()
        text += back + (f"({names[i]}:{labels[i]})" if i > 0 else "(a)")
    return text


def _node_degrees(metapath: Metapath, i: int, name: str) -> str:
    """Product of middle node ``i``'s two degrees: along the hop it is reached by and the hop it leaves by."""
    labels, steps = metapath.labels, metapath.steps
    into = _degree(name, steps[i - 1], steps[i - 1].reversed(), labels[i], labels[i - 1])
    out = _degree(name, steps[i], steps[i].direction, labels[i], labels[i + 1])
    return f"{into}\n           * {out}"


# ArcadeDB (26.10) charges every row produced by UNWIND with the whole list it came from, so an ORDER BY over
# a few thousand unwound paths exceeds its 1 GB query-heap budget; a SKIP in between drops that reference.
_FORGET_LIST = "  // ArcadeDB: detach the rows from the unwound list before sorting (kg/metapaths.py)"


def branch(metapath: Metapath) -> str:
    """The Cypher for one metapath between ``a`` and ``b``: its best ``$n`` paths with their PDP, and the
    metapath's DWPC and number of paths for the pair.

    Imports ``a`` (the source node) and ``b`` (the target node); the middle nodes are ``n1`` (and ``n2``).
    Each node's degrees are counted once per branch, not once per path: a side effect shared by hundreds of
    paths would otherwise be counted hundreds of times.
    """
    k = len(metapath.steps)
    if k not in (2, 3):
        raise ValueError(f"{metapath.abbrev}: only metapaths of 2 or 3 hops are supported")
    names = ["a", *(f"n{i}" for i in range(1, k)), "b"]
    labels, steps = metapath.labels, metapath.steps
    middle = names[1:-1]
    distinct = [
        f"{names[i]} <> {names[j]}" for i in range(k + 1) for j in range(i + 1, k + 1) if labels[i] == labels[j]
    ]
    ends = (
        f"{_degree('a', steps[0], steps[0].direction, labels[0], labels[1])}\n"
        f"           * {_degree('b', steps[-1], steps[-1].reversed(), labels[-1], labels[-2])}"
    )
    lines = [f"  MATCH {_walk(metapath, names)}"]
    if distinct:
        lines.append(f"  WHERE {' AND '.join(distinct)}")
    lines.append(f"  WITH DISTINCT a, b, {', '.join(middle)}")
    if k == 2:
        lines.append(f"  WITH a, b, n1, {_node_degrees(metapath, 1, 'n1')} AS inner")
    else:
        lines += [
            "  WITH a, b, n1, collect(n2) AS n2s",
            f"  WITH a, b, n1, n2s, {_node_degrees(metapath, 1, 'n1')} AS d1",
            "  UNWIND n2s AS n2",
            "  WITH a, b, n2, collect([n1, d1]) AS n1s",
            f"  WITH a, b, n2, n1s, {_node_degrees(metapath, 2, 'n2')} AS d2",
            "  UNWIND n1s AS pair",
            "  WITH a, b, pair[0] AS n1, n2, pair[1] * d2 AS inner",
        ]
    # The end nodes' degrees are the same for every path: counted once, and only when a path exists. Paths are
    # carried as ids, not nodes: ArcadeDB budgets a sort by the size of what its rows hold.
    ids = ", ".join(f"{name}.id" for name in middle)
    lines += [
        f"  WITH a, b, collect([{ids}, inner]) AS found",
        f"  WITH found, {ends} AS ends",
        "  WITH found, size(found) AS path_count,",
        f"       reduce(s = 0.0, f IN found | s + (f[{len(middle)}] * ends) ^ -$damping) AS dwpc, ends",
    ]
    unpack = ", ".join(f"path[{i}] AS {name}_id" for i, name in enumerate(middle))
    # Only this metapath's n best paths leave the branch, so the final sort never holds a pair's whole path set.
    kept = ", ".join(f"{name}_id" for name in middle)
    lines += [
        "  UNWIND found AS path",
        f"  WITH {unpack}, (path[{len(middle)}] * ends) ^ -$damping AS pdp, dwpc, path_count",
        f"  SKIP 0{_FORGET_LIST}",
        f"  WITH {kept}, pdp, dwpc, path_count",
        f"  ORDER BY pdp DESC, {kept}",
        "  LIMIT $n",
        *(f"  MATCH ({name}:{labels[i + 1]} {{id: {name}_id}})" for i, name in enumerate(middle)),
        f"  RETURN '{metapath.abbrev}' AS metapath, [{', '.join(middle)}] AS middle,",
        f"         [{', '.join(repr(s.rel) for s in steps)}] AS rels,",
        f"         [{', '.join(repr(s.pattern()) for s in steps)}] AS hops, pdp, dwpc, path_count",
    ]
    return "\n".join(lines)


_PAIRS = {  # the catalogue, the anchors and their parameters, per pair kind
    "drug-disease": (DRUG_DISEASE, "MATCH (a:Drug {id: $drug})\nMATCH (b:Disease {id: $disease})\n"),
    "patient-drug": (PATIENT_DRUG, "MATCH (a:Patient {id: $patient})\nMATCH (b:Drug {id: $drug})\n"),
}

_WEIGHTS = """\
// Weights (Rephetio's degree-weighted path count): a path's pdp = prod over its edges (u, v) of
// (deg(u) * deg(v)) ^ -damping, deg being the node's number of distinct neighbours along that edge's metaedge;
// a metapath's dwpc is the sum of its paths' pdp for this pair. Every metapath weighs the same. No node repeats
// in a path, and PREDICTED_* edges are never evidence.
// Generated by `python -m pmkg.kg.metapaths` from the catalogue in kg/metapaths.py; do not edit by hand.
//"""

_PATH_COLUMNS = (
    "rank, metapath, contribution, pdp, dwpc, path, node_ids, node_names, node_labels, relationships, sources, cypher, "
    "metapaths"
)

_DAMPING_SPEC = f"float[{DAMPING_RANGE[0]:g}..{DAMPING_RANGE[1]:g}] = {DEFAULT_DAMPING}"
_HEADERS = {
    "evidence_paths": f"""\
// Evidence paths for a (drug, disease) pair: the top-n paths of the metapath catalogue, ranked by contribution
// = pdp / (sum of every metapath's dwpc), so contributions over all the pair's paths sum to 1. `cypher` returns
// the path itself (nodes with names and provenance) in Neo4j Browser; `sources` gives each hop's source+version;
// `metapaths` (the same on every row) breaks the pair's total down: paths, dwpc and share per metapath.
{_WEIGHTS}
// @param drug curie(Drug)      Drug CURIE, e.g. DRUGBANK:DB00773 (etoposide)
// @param disease curie(Disease) Disease CURIE, e.g. DOID:8577 (ulcerative colitis)
// @param n integer[1..100000] = 10 How many paths to return
// @param damping {_DAMPING_SPEC} Degree damping exponent w (0 = plain path counts; Rephetio used 0.4)
// @example pmkg query evidence_paths --param drug=DRUGBANK:DB00773 --param disease=DOID:8577 --param n=5
// @columns {_PATH_COLUMNS}
""",
    "patient_drug_evidence": f"""\
// Evidence paths for a (patient, drug) pair: the top-n paths from the patient's diagnoses, phenotypes, diplotypes
// and variants to the drug, ranked by contribution, with the metapath breakdown, as in evidence_paths. Rows carry
// ids and ontology term names only, never free-text patient data.
{_WEIGHTS}
// @param patient curie(Patient) Patient id, e.g. PMKG.PATIENT:demo-1
// @param drug curie(Drug)      Drug CURIE, e.g. DRUGBANK:DB00773 (etoposide)
// @param n integer[1..100000] = 10 How many paths to return
// @param damping {_DAMPING_SPEC} Degree damping exponent w (0 = plain path counts; Rephetio used 0.4)
// @example pmkg query patient_drug_evidence --param patient=PMKG.PATIENT:demo-1 --param drug=DRUGBANK:DB00773
// @columns {_PATH_COLUMNS}
""",
}

_FOOTER = """\
WITH a, b, metapath, dwpc, path_count, collect({middle: middle, rels: rels, hops: hops, pdp: pdp}) AS paths
ORDER BY dwpc DESC, metapath
WITH a, b, collect({metapath: metapath, paths: paths, dwpc: dwpc, path_count: path_count}) AS groups,
     sum(dwpc) AS total
WITH a, b, groups, total,
     [g IN groups | {metapath: g.metapath, paths: g.path_count, dwpc: g.dwpc, share: g.dwpc / total}] AS metapaths
UNWIND groups AS grp
UNWIND grp.paths AS p
WITH a, b, grp.metapath AS metapath, grp.dwpc AS dwpc, total, metapaths, p, [x IN p.middle | x.id] AS middle_ids
SKIP 0  // ArcadeDB: detach the rows from the unwound lists before sorting (kg/metapaths.py)
WITH a, b, metapath, dwpc, total, metapaths, p, middle_ids
ORDER BY p.pdp DESC, metapath, middle_ids
LIMIT $n
WITH metapaths, collect({metapath: metapath, dwpc: dwpc, total: total, node_ids: [a.id] + middle_ids + [b.id],
                         path: {nodes: [a] + p.middle + [b], rels: p.rels, hops: p.hops, pdp: p.pdp}}) AS ranked
UNWIND range(0, size(ranked) - 1) AS i
WITH metapaths, i + 1 AS rank, ranked[i] AS r
// provenance only for the paths returned: every edge of the hop's type between its two nodes
UNWIND range(0, size(r.path.rels) - 1) AS h
WITH metapaths, rank, r, h, r.path.nodes[h] AS u, r.path.nodes[h + 1] AS v, r.path.rels[h] AS rel
WITH metapaths, rank, r, h, [(u)-[e]-(v) WHERE type(e) = rel | e.source + ' ' + e.source_version] AS hop_sources
ORDER BY rank, h
WITH metapaths, rank, r,
     collect(reduce(s = '', t IN hop_sources | s + CASE WHEN s = '' THEN '' ELSE '; ' END + t)) AS sources
WITH metapaths, rank, r, sources, [x IN r.path.nodes | coalesce(x.symbol, x.name, x.id)] AS names,
     [x IN r.path.nodes | labels(x)[0]] AS node_labels, r.path.hops AS hops
RETURN rank, r.metapath AS metapath, r.path.pdp / r.total AS contribution, r.path.pdp AS pdp, r.dwpc AS dwpc,
       reduce(s = '(' + names[0] + ')', i IN range(0, size(hops) - 1) | s + hops[i] + '(' + names[i + 1] + ')') AS path,
       r.node_ids AS node_ids, names AS node_names, node_labels, r.path.rels AS relationships, sources,
       'MATCH p = ' + reduce(s = '(:' + node_labels[0] + ' {id: "' + r.node_ids[0] + '"})',
                            i IN range(0, size(hops) - 1)
                            | s + hops[i] + '(:' + node_labels[i + 1] + ' {id: "' + r.node_ids[i + 1] + '"})')
         + ' RETURN p' AS cypher,
       metapaths
ORDER BY rank
"""

# query name -> pair kind
QUERIES: dict[str, str] = {"evidence_paths": "drug-disease", "patient_drug_evidence": "patient-drug"}


def evidence_query(name: str) -> str:
    """The full text of the generated named query ``name`` (a key of :data:`QUERIES`)."""
    metapaths, anchors = _PAIRS[QUERIES[name]]
    check_catalogue(metapaths)
    body = "\nUNION ALL\n".join(branch(m) for m in metapaths)
    return _HEADERS[name] + anchors + "CALL (a, b) {\n" + body + "\n}\n" + _FOOTER


def write_queries(directory: Path) -> list[Path]:
    written = []
    for name in QUERIES:
        path = directory / f"{name}.cypher"
        path.write_text(evidence_query(name), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    from pmkg.queries import QUERY_DIR

    for written_path in write_queries(Path(sys.argv[1]) if len(sys.argv) > 1 else QUERY_DIR):
        print(f"wrote {written_path}")
