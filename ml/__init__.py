"""ml: causal TA-Lib features, datasets and walk-forward splits, the models (LSTM,
LightGBM, RandomForest, momentum), the calibrated ensemble, the model registry and
evaluation against baselines.

Imports: the core base and `core.data` only — never execution, bot or webui. ML never
knows whether it runs live, in a demo or in a backtest.
"""
