"""Import of CSV / JSON Lines / Parquet files: every bad row reported, nothing half-stored."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy.orm import Session, sessionmaker

from data_contracts.readers import FileFormatError
from data_contracts.tabular import to_flat_row
from tests.factories import beneficiary, opportunity
from tremplin.ingest import ImportKind, import_file
from tremplin.store.db import transaction
from tremplin.store.repository import count_rows, ensure_cpas

HEADER = (
    "id,kind,title,location.postcode,contract_type,source,required_skills,occupation.rome_code\n"
)


def _csv(path: Path, rows: list[str], header: str = HEADER, encoding: str = "utf-8") -> Path:
    path.write_bytes((header + "".join(r + "\n" for r in rows)).encode(encoding))
    return path


def _stored(factory: sessionmaker[Session]) -> dict[str, int]:
    with transaction(factory) as s:
        return count_rows(s)


GOOD = [
    "o1,job_offer,Technicien(ne) de surface,4000,cdd,forem,Abattre un arbre;100063,K2205",
    "o2,internship,Stage magasinier,4100,stage,employer,,N1110",
]


def test_good_csv_is_imported_once(tmp_path: Path, factory: sessionmaker[Session]) -> None:
    path = _csv(tmp_path / "offers.csv", GOOD)
    first = import_file(path, ImportKind.OPPORTUNITIES, factory)
    second = import_file(path, ImportKind.OPPORTUNITIES, factory)
    assert first.ok and first.inserted == 2
    assert second.inserted == 0 and second.unchanged == 2
    assert _stored(factory)["opportunity"] == 2


def test_skill_labels_resolve_to_taxonomy_ids(
    tmp_path: Path, sqlite_factory: sessionmaker[Session]
) -> None:
    from tremplin.store.repository import active_opportunities

    import_file(_csv(tmp_path / "o.csv", GOOD[:1]), ImportKind.OPPORTUNITIES, sqlite_factory)
    with transaction(sqlite_factory) as s:
        [(_, stored)] = active_opportunities(s)
    assert [sk.id for sk in stored.required_skills] == ["rome:100023", "rome:100063"]


def test_bad_rows_are_all_reported_and_nothing_is_stored(
    tmp_path: Path, factory: sessionmaker[Session]
) -> None:
    rows = [
        *GOOD,
        "o3,job_offer,Cariste,4999,cdd,forem,,N1101",  # unknown postcode
        "o4,job_offer,Cariste,4000,formation,forem,,N1101",  # contract incompatible with kind
        "o5,job_offer,Cariste,4000,cdd,journal,,N1101",  # unknown source
        "o6,job_offer,Cariste,4000,cdd,forem,jongler avec des tronçonneuses,N1101",  # unknown skill
        "o1,job_offer,Doublon,4000,cdd,forem,,N1101",  # duplicate id
    ]
    report = import_file(_csv(tmp_path / "bad.csv", rows), ImportKind.OPPORTUNITIES, factory)
    assert not report.stored and _stored(factory)["opportunity"] == 0
    text = "\n".join(report.row_errors)
    for line, fragment in (
        (4, "4999"),
        (5, "incompatible"),
        (6, "valeurs permises"),
        (7, "compétence inconnue"),
        (8, "déjà ligne 2"),
    ):
        assert f"ligne {line}," in text and fragment in text, (line, fragment, text)


def test_skip_invalid_stores_only_good_rows(tmp_path: Path, factory: sessionmaker[Session]) -> None:
    rows = [*GOOD, "o3,job_offer,Cariste,4999,cdd,forem,,N1101"]
    report = import_file(
        _csv(tmp_path / "bad.csv", rows), ImportKind.OPPORTUNITIES, factory, skip_invalid=True
    )
    assert report.stored and report.inserted == 2 and len(report.row_errors) == 1
    assert _stored(factory)["opportunity"] == 2


def test_missing_and_unknown_columns_are_file_errors(
    tmp_path: Path, sqlite_factory: sessionmaker[Session]
) -> None:
    path = _csv(
        tmp_path / "c.csv",
        ["o1,job_offer,T,cdd,forem,X"],
        header="id,kind,title,contract_type,source,nom\n",
    )
    report = import_file(path, ImportKind.OPPORTUNITIES, sqlite_factory)
    assert not report.stored
    joined = " ".join(report.file_errors)
    assert "nom" in joined and "colonne inconnue" in joined
    # no postcode column: a place may be abroad (a feed's), so each Belgian row says it
    path = _csv(
        tmp_path / "d.csv",
        ["o1,job_offer,T,cdd,forem"],
        header="id,kind,title,contract_type,source\n",
    )
    report = import_file(path, ImportKind.OPPORTUNITIES, sqlite_factory)
    assert not report.stored
    assert report.row_errors == ["ligne 2, location : valeur obligatoire manquante : ajoutez-la"]


def test_wrong_encoding_says_how_to_convert(
    tmp_path: Path, sqlite_factory: sessionmaker[Session]
) -> None:
    path = _csv(
        tmp_path / "latin.csv",
        ["o1,job_offer,Agent d'entretien àé,4000,cdd,forem,,K2204"],
        encoding="latin-1",
    )
    with pytest.raises(FileFormatError, match=r"UTF-8.*iconv"):
        import_file(path, ImportKind.OPPORTUNITIES, sqlite_factory)


def test_semicolon_csv_and_ragged_rows(
    tmp_path: Path, sqlite_factory: sessionmaker[Session]
) -> None:
    path = tmp_path / "semi.csv"
    path.write_text(
        "id;kind;title;location.postcode;contract_type;source\no1;job_offer;Plongeur;4000;cdd;forem\no2;job_offer\n",
        encoding="utf-8",
    )
    report = import_file(path, ImportKind.OPPORTUNITIES, sqlite_factory, skip_invalid=True)
    assert report.inserted == 1 and "ligne 3" in report.row_errors[0]


def test_jsonl_and_parquet_share_the_same_contract(
    tmp_path: Path, sqlite_factory: sessionmaker[Session]
) -> None:
    items = [opportunity(id=f"j{i}", title=f"Commis de cuisine {i}") for i in range(3)]
    jsonl = tmp_path / "o.jsonl"
    jsonl.write_text(
        "\n".join(o.model_dump_json(exclude_none=True) for o in items) + "\n{broken\n",
        encoding="utf-8",
    )
    report = import_file(jsonl, ImportKind.OPPORTUNITIES, sqlite_factory, skip_invalid=True)
    assert report.inserted == 3 and "ligne 4" in report.row_errors[0]
    parquet = tmp_path / "o.parquet"
    pd.DataFrame([to_flat_row(opportunity(id=f"p{i}")) for i in range(3)]).to_parquet(parquet)
    assert import_file(parquet, ImportKind.OPPORTUNITIES, sqlite_factory).inserted == 3


def test_unsupported_or_missing_file(tmp_path: Path, sqlite_factory: sessionmaker[Session]) -> None:
    with pytest.raises(FileFormatError, match="format non reconnu"):
        import_file(_csv(tmp_path / "x.xlsx", GOOD), ImportKind.OPPORTUNITIES, sqlite_factory)
    with pytest.raises(FileFormatError, match="introuvable"):
        import_file(tmp_path / "absent.csv", ImportKind.OPPORTUNITIES, sqlite_factory)


def test_beneficiaries_need_a_known_cpas(tmp_path: Path, factory: sessionmaker[Session]) -> None:
    path = tmp_path / "b.jsonl"
    path.write_text(json.dumps(beneficiary().model_dump(mode="json")) + "\n", encoding="utf-8")
    report = import_file(path, ImportKind.BENEFICIARIES, factory)
    assert not report.stored and "CPAS inconnu" in report.row_errors[0]
    with transaction(factory) as s:
        ensure_cpas(s, "cpas-liege", "CPAS de Liège")
    assert import_file(path, ImportKind.BENEFICIARIES, factory).inserted == 1


@pytest.mark.slow
def test_50mb_file_with_one_bad_row_is_rejected_whole(
    tmp_path: Path, sqlite_factory: sessionmaker[Session]
) -> None:
    path = tmp_path / "big.csv"
    description = (
        "Entretien des bureaux, sanitaires et espaces communs; horaires tôt le matin. " * 5
    )
    with path.open("w", encoding="utf-8") as fh:
        fh.write(HEADER.strip() + ",description\n")
        n = 0
        while fh.tell() < 50 * 1024 * 1024:
            n += 1
            fh.write(
                f'big-{n},job_offer,Technicien de surface {n},4000,cdd,forem,100063,K2205,"{description}"\n'
            )
        fh.write("big-bad,job_offer,Cariste,9999,cdd,forem,,N1101,x\n")
    report = import_file(path, ImportKind.OPPORTUNITIES, sqlite_factory)
    assert report.total_rows == n + 1 and report.valid_rows == n
    assert (
        not report.stored
        and len(report.row_errors) == 1
        and f"ligne {n + 2}," in report.row_errors[0]
    )
    assert _stored(sqlite_factory)["opportunity"] == 0
