"""The demo's metadata is data: every file it names is in fixtures/, every choice is known."""

import hashlib
import re

from catalog.choices import DataType, Scale
from signatures.choices import GeneSpace, LibraryKind, ScoreKind
from signatures.demo import CATALOGUE, catalogue
from tests.conftest import FIXTURES


def named_files(entry: dict) -> list[str]:
    spec = entry.get("matrix") or entry.get("source") or entry
    files = [spec["file"], spec.get("samples"), spec.get("collapse_with_chip")]
    files.append((spec.get("labels") or {}).get("file"))
    return [f for f in files if f]


def test_every_file_the_demo_names_is_a_fixture():
    demo = catalogue(FIXTURES)
    entries = [*demo["genesets"], *demo["datasets"], *demo["libraries"]]
    entries += demo["usecase_libraries"]
    for entry in entries:
        for name in named_files(entry):
            assert (FIXTURES / name).is_file(), name


def test_every_dataset_and_library_uses_known_choices_and_collections():
    demo = catalogue(FIXTURES)
    slugs = {c["slug"] for c in demo["collections"]}
    for entry in demo["datasets"]:
        assert entry["collection"] in slugs
        assert entry["data_type"] in DataType.values and entry["scale"] in Scale.values
    for entry in [*demo["libraries"], *demo["usecase_libraries"]]:
        assert entry["collection"] in slugs and entry["kind"] in LibraryKind.values
        assert entry.get("gene_space", GeneSpace.LANDMARK) in GeneSpace.values
        assert entry.get("score_kind", ScoreKind.LOGFC) in ScoreKind.values


def test_the_manifest_states_the_catalogue_checksum():
    manifest = (FIXTURES / "MANIFEST.md").read_text()
    section = manifest.split(f"### `{CATALOGUE}`", 1)[1]
    stated = re.search(r"\*\*sha256:\*\* `([0-9a-f]{64})`", section).group(1)
    assert stated == hashlib.sha256((FIXTURES / CATALOGUE).read_bytes()).hexdigest()
