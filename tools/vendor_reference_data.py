"""Copy the slice of reference data the product needs into the project, gzip-compressed.

Usage: python tools/vendor_reference_data.py SOURCE_DIR

SOURCE_DIR is the gathered reference-data folder (ROME 4.0, ESCO French, Belgian
postcodes, the MELO France set with France's ROME -> ESCO crosswalk). Files are copied byte for byte (then gzipped, deterministically with mtime=0)
so their provenance stays checkable; ``tremplin/taxonomy/data/MANIFEST.tsv`` records the
SHA-256 of each source file and of each vendored file.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import shutil
import sys
from pathlib import Path

FILES = {
    "rome/unix_referentiel_code_rome_v460_utf8.csv": "rome_metiers.csv.gz",
    "rome/unix_referentiel_appellation_v460_utf8.csv": "rome_appellations.csv.gz",
    "rome/unix_referentiel_competence_v460_utf8.csv": "rome_competences.csv.gz",
    "rome/unix_referentiel_savoir_v460_utf8.csv": "rome_savoirs.csv.gz",
    "rome/unix_liens_rome_referentiels_v460_utf8.csv": "rome_liens.csv.gz",
    "rome/unix_coherence_item_v460_utf8.csv": "rome_coherence_items.csv.gz",
    "rome/unix_texte_v460_utf8.csv": "rome_textes.csv.gz",
    "rome/unix_rubrique_mobilite_v460_utf8.csv": "rome_mobilites.csv.gz",
    "rome/unix_referentiel_contexte_travail_v460_utf8.csv": "rome_contextes_travail.csv.gz",
    "rome/version.txt": "rome_version.txt.gz",
    "esco_fr/occupations_fr.csv": "esco_occupations_fr.csv.gz",
    "esco_fr/skills_fr.csv": "esco_skills_fr.csv.gz",
    "esco_fr/ISCOGroups_fr.csv": "esco_isco_groups_fr.csv.gz",
    "esco_fr/broaderRelationsOccPillar.csv": "esco_broader_occupations.csv.gz",
    "be_postcodes/be_postcodes_fr_merged.csv": "be_postcodes.csv.gz",
    "melo_fra/crosswalk_rome_esco_fra.json": "crosswalk_rome_esco_fra.json.gz",
    "melo_fra/queries.tsv": "melo_fra_queries.tsv.gz",
    "melo_fra/annotations.tsv": "melo_fra_annotations.tsv.gz",
    "melo_fra/corpus_elements.tsv": "melo_fra_corpus_elements.tsv.gz",
    "melo_fra/concept_mapping.tsv": "melo_fra_concept_mapping.tsv.gz",
    "melo_fra/LICENSE": "melo_fra_LICENSE.txt.gz",
}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(source: Path) -> None:
    """Vendor every file of FILES from ``source`` and write the manifest."""
    target = Path(__file__).resolve().parents[1] / "tremplin" / "taxonomy" / "data"
    target.mkdir(parents=True, exist_ok=True)
    rows = ["source\tsource_sha256\tvendored\tvendored_sha256\tbytes"]
    for rel, name in FILES.items():
        src = source / rel
        dst = target / name
        with (
            src.open("rb") as fin,
            dst.open("wb") as raw,
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz,
        ):
            shutil.copyfileobj(fin, gz)
        rows.append(f"{rel}\t{_sha256(src)}\t{name}\t{_sha256(dst)}\t{dst.stat().st_size}")
    (target / "MANIFEST.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    _write_postcode_list(source / "be_postcodes/be_postcodes_fr_merged.csv")
    print(f"vendored {len(FILES)} files into {target}")


def _write_postcode_list(src: Path) -> None:
    """The distinct codes, for the contracts' validation (data_contracts/postcodes.py)."""
    with src.open(encoding="utf-8", newline="") as fh:
        codes = sorted({int(r["postcode"]) for r in csv.DictReader(fh)})
    out = Path(__file__).resolve().parents[1] / "data_contracts" / "data" / "be_postcodes.csv"
    out.write_text("postcode\n" + "".join(f"{c}\n" for c in codes), encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tools/vendor_reference_data.py SOURCE_DIR")
    main(Path(sys.argv[1]))
