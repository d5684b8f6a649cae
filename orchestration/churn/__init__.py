"""Predictive churn: features at a cutoff (features.py), the classifier trained and stored as a
versioned artefact (model.py, store.py), the daily scoring (scoring.py) and the backtest
(backtest.py). The evaluation against a generator's truth is bench/churn_truth.py."""
