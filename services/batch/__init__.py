"""Batch work on Ray Data: embedding every opportunity or profile, and the nightly rescoring
of every beneficiary against the fresh opportunities (local mode on one machine by default,
a cluster by its address). ``tremplin batch embed|rescore`` run them."""
