"""ml: what the models learn (the outcome of the plan the bot executes, `labels`,
`targets`), from what (causal TA-Lib features and the market context, `features`,
`context`, `dataset`), how (the LSTM, LightGBM, random forest and momentum members and
their calibrated ensemble), and whether it is worth anything: walk-forward records
(`splits`, `walk_forward`), figures against the honest baselines with block-bootstrap
intervals (`evaluation`, `bootstrap`, `report`, `plots`, `controls`) and the one
grading function that decides whether a model has earned autonomy (`grading`).
Runs are saved with their grade by the `registry`.

Imports: the core base, `core.data` and risk's stop rules (one plan, one rule) —
never execution, bot or webui. ML never knows whether it runs live, in a demo or in a
backtest; its only I/O is the registry and the plots.
"""
