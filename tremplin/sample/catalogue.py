"""The trades of the sample data: those the CPAS texts name, and their neighbours.

Each sector lists real ROME 4.0 métiers and the working conditions that decide what is
realistic for a beneficiary (shifts, licence, French level, article 60 use).
"""

from __future__ import annotations

from dataclasses import dataclass

from data_contracts.enums import CefrLevel, ContractType, LicenceCategory, Shift


@dataclass(frozen=True)
class Sector:
    """A group of métiers with typical conditions."""

    key: str
    phrase: str  # how a person would say it: "dans le nettoyage"
    rome_codes: tuple[str, ...]
    weight: float
    shifts: tuple[Shift, ...]
    french: CefrLevel
    contracts: tuple[ContractType, ...]
    licence: LicenceCategory | None = None
    licence_share: float = 0.0


SECTORS: tuple[Sector, ...] = (
    Sector(
        "cleaning",
        "dans le nettoyage",
        ("K2204", "K2205", "I1203"),
        0.14,
        (Shift.EARLY, Shift.DAY, Shift.EVENING),
        CefrLevel.A2,
        (ContractType.CDD, ContractType.CDI, ContractType.INTERIM, ContractType.ARTICLE_60),
    ),
    Sector(
        "public_cleanliness",
        "dans la propreté publique",
        ("K2307", "K2303"),
        0.06,
        (Shift.EARLY, Shift.DAY),
        CefrLevel.A2,
        (ContractType.ARTICLE_60, ContractType.CDD),
    ),
    Sector(
        "construction",
        "dans le bâtiment",
        ("F1703", "F1704", "F1606", "F1602", "F1603", "F1608", "F1619"),
        0.12,
        (Shift.EARLY, Shift.DAY),
        CefrLevel.A2,
        (ContractType.CDD, ContractType.CDI, ContractType.INTERIM, ContractType.ARTICLE_60),
        LicenceCategory.B,
        0.3,
    ),
    Sector(
        "logistics",
        "dans la logistique et les entrepôts",
        ("N1103", "N1105", "N1101", "N1110"),
        0.12,
        (Shift.EARLY, Shift.DAY, Shift.NIGHT),
        CefrLevel.A2,
        (ContractType.INTERIM, ContractType.CDD, ContractType.CDI),
    ),
    Sector(
        "care",
        "dans les soins aux personnes",
        ("J1501", "J1301", "K1302", "K1311"),
        0.10,
        (Shift.EARLY, Shift.DAY, Shift.EVENING, Shift.WEEKEND),
        CefrLevel.B1,
        (ContractType.CDD, ContractType.CDI, ContractType.ARTICLE_60),
    ),
    Sector(
        "childcare",
        "avec les enfants",
        ("K1303", "J1304"),
        0.05,
        (Shift.DAY, Shift.EARLY),
        CefrLevel.B1,
        (ContractType.CDD, ContractType.CDI, ContractType.ARTICLE_60),
    ),
    Sector(
        "hospitality",
        "dans l'horeca et la cuisine",
        ("G1602", "G1609", "G1605", "G1803"),
        0.11,
        (Shift.DAY, Shift.EVENING, Shift.WEEKEND),
        CefrLevel.A2,
        (ContractType.CDD, ContractType.INTERIM, ContractType.CDI, ContractType.ARTICLE_60),
    ),
    Sector(
        "retail",
        "dans la vente et les magasins",
        ("D1507", "D1505", "D1106"),
        0.09,
        (Shift.DAY, Shift.EVENING, Shift.WEEKEND),
        CefrLevel.B1,
        (ContractType.CDD, ContractType.CDI, ContractType.INTERIM),
    ),
    Sector(
        "admin",
        "dans l'administratif",
        ("M1602", "M1607", "M1601", "M1606"),
        0.08,
        (Shift.DAY,),
        CefrLevel.B2,
        (ContractType.CDD, ContractType.CDI, ContractType.ARTICLE_60),
    ),
    Sector(
        "it_gaming",
        "dans l'informatique ou le jeu vidéo",
        ("I1401", "M1810", "M1805", "E1205", "L1510"),
        0.04,
        (Shift.DAY,),
        CefrLevel.B1,
        (ContractType.CDD, ContractType.CDI),
    ),
    Sector(
        "driving",
        "comme chauffeur",
        ("N4101", "N4105", "N4103"),
        0.05,
        (Shift.EARLY, Shift.DAY, Shift.NIGHT),
        CefrLevel.A2,
        (ContractType.CDD, ContractType.CDI, ContractType.INTERIM),
        LicenceCategory.C,
        1.0,
    ),
    Sector(
        "home_help",
        "comme aide ménagère à domicile",
        ("K1304", "D1236"),
        0.04,
        (Shift.DAY,),
        CefrLevel.A2,
        (ContractType.TITRES_SERVICES,),
    ),
)

# Métier-specific licences overriding the sector's (bus: D; delivery: B).
LICENCE_BY_ROME = {
    "N4103": LicenceCategory.D,
    "N4105": LicenceCategory.B,
    "N4101": LicenceCategory.C,
}

# Where the sample lives: the Liège basin and Brussels (Molenbeek and neighbours).
LIEGE_POSTCODES = (
    4000,
    4020,
    4030,
    4031,
    4032,
    4040,
    4100,
    4400,
    4430,
    4420,
    4460,
    4050,
    4620,
    4610,
    4600,
    4680,
    4630,
    4130,
    4500,
    4800,
    4300,
    4101,
    4102,
    4041,
    4042,
)
BRUSSELS_POSTCODES = (
    1080,
    1000,
    1070,
    1030,
    1060,
    1081,
    1090,
    1190,
    1050,
    1020,
    1082,
    1083,
    1120,
    1210,
)

CPAS = (
    # id, name, postcode, share of beneficiaries, region
    ("cpas-liege", "CPAS de Liège", 4000, 0.45, "liege"),
    ("cpas-molenbeek", "CPAS de Molenbeek-Saint-Jean", 1080, 0.30, "brussels"),
    ("cpas-seraing", "CPAS de Seraing", 4100, 0.15, "liege"),
    ("cpas-herstal", "CPAS de Herstal", 4040, 0.10, "liege"),
)


def region_of(postcode: int) -> str:
    """The sample's region of a postcode: "brussels" below 2000, "liege" otherwise."""
    return "brussels" if postcode < 2000 else "liege"


def region_postcodes(region: str) -> tuple[int, ...]:
    """The postcodes where the sample places people and offers of ``region``."""
    return BRUSSELS_POSTCODES if region == "brussels" else LIEGE_POSTCODES


def region_cpas(region: str) -> list[str]:
    """Identifiers of the sample's CPAS in ``region``."""
    return [c[0] for c in CPAS if c[4] == region]


EMPLOYER_NAMES = {
    "public": [
        "Ville de Liège - Propreté publique",
        "CPAS de Liège - Cellule article 60",
        "Commune de Molenbeek-Saint-Jean",
        "Ville de Seraing",
        "Ville de Herstal",
        "CHR de la Citadelle",
        "CHU de Liège",
        "Régie communale de Molenbeek",
    ],
    "social_economy": [
        "Terre asbl",
        "Les Petits Riens",
        "Casa Nostra asbl",
        "Ressourcerie du Pays de Liège",
        "Vivre en Ville SCRL-FS",
        "Le Trusquin ESAT",
        "Solidarité Logistique SCRL",
        "Restaurant social La Bonne Assiette",
        "Crèche Les Lutins asbl",
        "Bâti-Insertion SCRL",
    ],
    "titres_services": [
        "Aides Ménagères Liégeoises",
        "Titres-Services Bruxelles Ouest",
        "Ménagez-vous SRL",
        "Net & Clair Titres-Services",
        "Home Services Seraing",
    ],
    "private": [
        "Delhaize Liège",
        "Colruyt Herstal",
        "Carrefour Market Ans",
        "ISS Facility Services",
        "Atalian Belgique",
        "Securitas",
        "Trilogiport Logistics",
        "Kuehne+Nagel Grâce-Hollogne",
        "Liege Airport Cargo",
        "Brasserie Le Pot au Lait",
        "Hôtel Neuvice",
        "Ethias",
        "Entreprise Generale Baufays",
        "Thomas & Piron",
        "Liège Gaming Studio",
        "NRB",
        "TEC Liège-Verviers",
        "STIB",
        "Bpost Centre de tri",
        "Mestdagh Seraing",
        "Résidence Le Balloir",
        "Cora Rocourt",
    ],
    "interim": [
        "Randstad Liège",
        "Adecco Bruxelles",
        "Tempo-Team Herstal",
        "Start People Seraing",
        "Trace Interim social",
    ],
    "training_provider": [
        "Forem Formation Liège-Campus Industrie",
        "Forem Formation Construform Liège",
        "Forem Formation Logistique Liège",
        "CISP Alternatives Formations",
        "CISP Le Perron",
        "Bruxelles Formation",
        "Mission Locale de Molenbeek",
        "Promotion sociale IPEPS Seraing",
        "EFT Jeunes Sans Frontières",
        "Centre de compétence Technifutur",
    ],
}
