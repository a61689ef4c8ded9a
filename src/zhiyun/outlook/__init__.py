"""Seasons, forecasts and early warning (季节提示, 预测, 预警 / 未诉先办): issue 19 parts 3 and 4."""
