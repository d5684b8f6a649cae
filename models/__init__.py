"""The model tags as pure functions over data frames: RFM, loyalty, customer state, lifecycle
stage and value class. No Dagster, no warehouse: the assets in orchestration/assets/model_tags.py
read already-aggregated facts from the warehouse with SQL, call these, and write the results.
"""
