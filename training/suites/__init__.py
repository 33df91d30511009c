"""External evaluation suites: built only from data nobody here generated.

* :mod:`training.suites.titles` — title linking: the MELO France set, ROME appellations, ESCO
  alternative labels, the Belgian title list, each with a noisy variant;
* :mod:`training.suites.shortlists` — shortlists: offers and profiles drawn from ROME's
  structure in several recipes, graded by the métier, its mobility links and its domain;
* :mod:`training.suites.runner` — every method side by side, with bootstrap intervals.

Every suite is split into dev and test *by concept* (:mod:`training.suites.split`): what is
fitted or chosen uses dev only, figures are reported on test.
"""
