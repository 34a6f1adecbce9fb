"""core.app: the composition root (`composition.py`: builds every part from settings
in one place), the `stockbot` command line (`cli/`), the set-up doctor and the console
lines of the running agent.

Imports: anything, front ends included. Imported by nothing inside the project: it is
the top of the graph.
"""
