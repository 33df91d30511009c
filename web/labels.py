"""French labels of the controlled vocabularies, as the pages show them (the values stay the
stable identifiers of ``data_contracts.enums``)."""

from __future__ import annotations

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
