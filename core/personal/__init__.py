"""Personal taste model: durable "would I watch it?" labels per profile, an XGBoost classifier over
catalog features, active-learning labeling queues and explained predictions.

Public entry points live in ``core.personal.api`` (train, explain, recommend, oof_predictions),
``core.personal.store`` (open_store, LabelStore) and ``core.personal.model`` (TasteModel).
"""
