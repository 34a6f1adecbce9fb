"""webui: the NiceGUI front end — pages, the shared frame, charts.

Imports: `core.agent.engine` and the core base only. Pages call the Engine; they never touch
storage, a broker or a model.
"""
