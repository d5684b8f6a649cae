"""Weekly churn training as Dagster assets: `churn_model`, the classifier trained on the data of
the as-of date and stored as a versioned artefact (orchestration/churn/store.py), and
`churn_backtest`, how right each churn score would have been (orchestration/churn/backtest.py
says how). The daily scoring (model tag `churn`) loads the newest stored model."""

import json
from pathlib import Path

from dagster import AssetExecutionContext, AssetsDefinition, AssetSpec, MaterializeResult, MetadataValue, multi_asset

from orchestration.assets.model_tags import GROUP
from orchestration.churn.backtest import backtest_cutoff, registry_frame, run_backtest
from orchestration.churn.features import features_with_p_alive
from orchestration.churn.model import MODEL_NAME, train_and_save
from orchestration.churn.store import ModelStore
from orchestration.tags.catalogue import TagConfig
from orchestration.tags.model_tags import NO_AS_OF, run_as_of, write_model_table
from orchestration.tags.tag_watch import markdown_table
from orchestration.warehouse import tables
from orchestration.warehouse.resource import WAREHOUSE_POOL, DuckDBWarehouse


def build_churn_training_asset(config: TagConfig, rule_tags_dir: Path, models_dir: Path) -> AssetsDefinition:
    h = config.churn.horizon_days
    specs = [
        AssetSpec(tables.CHURN_MODEL.key, group_name=GROUP, kinds={"python", "scikitlearn"}, skippable=True,
                  deps=[tables.FACT_TAGS.key, tables.ORDER_DAYS.key, tables.FCT_CUSTOMER_EVENTS.key],
                  description=f"The churn classifier, trained on the data of the as-of date (features at the "
                              f"as-of date minus {h} days, labels: no paid order since) and stored as a versioned "
                              f"artefact in {models_dir}/{MODEL_NAME}/ (file named by its content hash, with a "
                              "manifest: training cutoff, features, validation metrics); the registry of stored "
                              "models is model_tags.churn_model_registry. Trained weekly; the daily scoring loads "
                              "it."),
        AssetSpec(tables.CHURN_BACKTEST.key, group_name=GROUP, kinds={"python", "duckdb"}, skippable=True,
                  description=f"The churn backtest: each churn score (the classifier, MBG/NBD P(alive), the "
                              f"baseline rule) trained, fitted or evaluated {h} days before the as-of date and "
                              "judged on who bought since: ROC AUC, PR AUC, top-decile lift, Brier score."),
    ]

    @multi_asset(name="churn_training", specs=specs, pool=WAREHOUSE_POOL)
    def churn_training(context: AssetExecutionContext, warehouse: DuckDBWarehouse):
        store = ModelStore(models_dir)
        with warehouse.connect() as con:
            if run_as_of(con) is None:
                context.log.warning(NO_AS_OF)
                return
            as_of, cutoff = backtest_cutoff(con, config)
            at_cutoff = features_with_p_alive(con, h, h, cutoff, config.clv)  # backtested, then trained on
            results, fit = run_backtest(con, config, rule_tags_dir, at_cutoff)
            validation = {
                "cutoff_date": str(results["cutoff_date"].iloc[0]),
                "method": f"the same recipe trained at the as-of date minus {2 * h} days, evaluated at minus {h}",
                "models": {r.model: {k: (None if v != v else v) for k, v in r._asdict().items()
                                     if k in ("customers", "churn_rate", "roc_auc", "pr_auc", "top_decile_lift",
                                              "brier")}
                           for r in results.itertuples(index=False)},
            }
            try:
                artefact = train_and_save(con, config, as_of, store, validation=validation, at_cutoff=at_cutoff)
            except ValueError as exc:  # too few buyers or one class: the run goes on, the scoring leaves it empty
                artefact, reason = None, f"not trained on the data of {as_of}: {exc}"
            write_model_table(con, tables.CHURN_BACKTEST.name, results, order_by="model")
            write_model_table(con, tables.CHURN_MODEL_REGISTRY.name, registry_frame(store), order_by="trained_as_of, model_version")
        if artefact is None:
            context.log.warning("churn classifier %s", reason)
            yield MaterializeResult(asset_key=tables.CHURN_MODEL.key, metadata={"status": reason, "trained_as_of": str(as_of)})
        else:
            context.log.info("churn classifier %s trained on the data of %s, stored at %s",
                             artefact.version, as_of, artefact.path)
            yield MaterializeResult(asset_key=tables.CHURN_MODEL.key, metadata={
                "status": "trained",
                "model_version": artefact.version,
                "artefact": MetadataValue.path(str(artefact.path)),
                "sha256": artefact.manifest["sha256"],
                "trained_as_of": str(as_of),
                "training_cutoff": artefact.manifest["training_cutoff"],
                "n_train": artefact.manifest["n_train"],
                "train_churn_rate": MetadataValue.float(artefact.manifest["train_churn_rate"]),
                "features": MetadataValue.json(artefact.manifest["features"]),
                "validation": MetadataValue.json(json.loads(json.dumps(validation, default=str))),
            })
        shown = results.drop(columns=["as_of_date", "model_version"])
        yield MaterializeResult(asset_key=tables.CHURN_BACKTEST.key, metadata={
            "cutoff_date": str(results["cutoff_date"].iloc[0]),
            "results": MetadataValue.md(markdown_table(shown)),
            "fit_at_cutoff": MetadataValue.json(json.loads(json.dumps(fit, default=str))),
            **{f"roc_auc {m}": MetadataValue.float(float(a)) for m, a in zip(results["model"], results["roc_auc"])
               if a == a},
        })

    return churn_training
