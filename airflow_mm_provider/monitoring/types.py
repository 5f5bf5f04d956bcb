"""The four Model Monitor ``MonitoringType`` values."""

from __future__ import annotations

DATA_QUALITY = "DataQuality"
MODEL_QUALITY = "ModelQuality"
MODEL_BIAS = "ModelBias"
MODEL_EXPLAINABILITY = "ModelExplainability"
MONITORING_TYPES: tuple[str, ...] = (DATA_QUALITY, MODEL_QUALITY, MODEL_BIAS, MODEL_EXPLAINABILITY)
