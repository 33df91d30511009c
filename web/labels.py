"""French labels of the controlled vocabularies, as the pages show them (the values stay the
stable identifiers of ``data_contracts.enums``)."""

from __future__ import annotations

from training.fairness import MEASURE_LABELS
from training.gate import Check
from training.groups import ATTRIBUTE_LABELS

EDUCATION = {
    "none": "Sans diplôme",
    "primary": "Primaire (CEB)",
    "lower_secondary": "Secondaire inférieur (CE1D)",
    "upper_secondary": "Secondaire supérieur (CESS)",
    "higher_short": "Supérieur de type court (bachelier)",
    "higher_long": "Supérieur de type long (master)",
}
PHASES = {
    "project": "Construction du projet",
    "french": "Français langue étrangère / alphabétisation",
    "training": "Formation",
    "employment": "Recherche d'emploi",
    "article_60": "Mise à l'emploi article 60",
}
TRANSPORT = {
    "walk": "À pied",
    "bike": "Vélo",
    "public_transport": "Transports en commun",
    "car": "Voiture",
}
SHIFTS = {
    "early": "Tôt le matin",
    "day": "Journée",
    "evening": "Soirée",
    "night": "Nuit",
    "weekend": "Week-end",
}
LICENCES = ("AM", "A1", "A2", "A", "B", "BE", "C1", "C1E", "C", "CE", "D1", "D1E", "D", "DE", "G")
CEFR = ("A1", "A2", "B1", "B2", "C1", "C2")
KINDS = {"job_offer": "Offres d'emploi", "internship": "Stages", "training": "Formations"}
KIND_ONE = {"job_offer": "Offre d'emploi", "internship": "Stage", "training": "Formation"}
OUTCOMES = {
    "proposed": "Proposée à la personne",
    "applied": "Candidature envoyée",
    "interview": "Entretien obtenu",
    "hired": "Engagée",
    "refused": "Refus",
    "training_enrolled": "Inscrite en formation",
    "training_completed": "Formation terminée",
}
OUTCOME_NAMES = {
    **OUTCOMES,
    "shown": "Montrée dans des propositions",
    "opened": "Fiche ouverte",
}
REFUSALS = {
    "beneficiary_not_interested": "La personne n'est pas intéressée",
    "employer_profile_mismatch": "Profil non retenu par l'employeur",
    "skills": "Compétences insuffisantes",
    "language": "Niveau de français",
    "distance": "Distance / transport",
    "schedule": "Horaires",
    "health": "Santé",
    "position_filled": "Poste déjà pourvu",
    "other": "Autre raison",
}
CONTACT_STATUS = {
    "pending": "En attente de la personne",
    "accepted": "Acceptée",
    "declined": "Refusée",
    "withdrawn": "Retirée",
}
STEPS = {"training": "Formation", "internship": "Stage", "job": "Emploi"}
CONTRACTS = {
    "cdi": "CDI",
    "cdd": "CDD",
    "interim": "intérim",
    "article_60": "contrat article 60",
    "article_61": "contrat article 61",
    "titres_services": "titres-services",
    "stage": "stage",
    "formation": "formation",
}
SOURCES = {
    "forem": "Le Forem",
    "actiris": "Actiris",
    "france_travail": "France Travail",
    "employer": "l'employeur",
    "cisp": "un CISP",
    "cpas": "le CPAS",
    "maison_emploi": "la Maison de l'emploi",
}
PUBLIC_SERVICES = {
    "forem": "leforem.be",
    "actiris": "actiris.brussels",
    "france_travail": "francetravail.fr",
}
VERDICTS = {
    "pass": "franchie",
    "fail": "refusée",
    "not_measurable": "non mesurable",
    "forced": "forcée (raison écrite)",
    "?": "pas de contrôle enregistré",
}
CHECK_KINDS = {
    "quality": "qualité",
    "floor": "plancher d'équité",
    "gap": "écart au modèle de référence",
    "labels": "étapes apprises",
    "champion": "comparaison au champion",
    "external": "recettes externes",
}


def check_label(check: Check) -> str:
    """A gate check as the admin pages name it (never its code name)."""
    if check.measure in MEASURE_LABELS and check.attribute in ATTRIBUTE_LABELS:
        label = f"{MEASURE_LABELS[check.measure]} par {ATTRIBUTE_LABELS[check.attribute]}"
        return f"{label} (contre {check.reference})" if check.reference else label
    return CHECK_KINDS.get(check.kind, "contrôle").capitalize()


METHODS = {"fusion": "fusion des signaux (sans apprentissage)"}
PLAN_REASONS = {
    "plan": "planification",
    "slots": "créneaux d'un stand changés",
    "manual": "entretien déplacé à la main",
    "nominated": "une personne inscrite",
    "cancelled": "un désistement",
}
GENDERS = {"female": "femme", "male": "homme", "x": "X", "undisclosed": "non communiqué"}
ORIGINS = {
    "belgian": "belge",
    "eu": "Union européenne",
    "non_eu": "hors Union européenne",
    "undisclosed": "non communiquée",
}
PARTICIPATION = {
    "nominated": "inscrite par le CPAS",
    "cancelled": "désinscrite",
    "invited": "invitée (plan de la journée)",
}
