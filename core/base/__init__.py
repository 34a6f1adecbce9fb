"""core.base: the vocabulary every layer shares — domain types, settings, clock and
exchange calendar, events and the event bus, the errors front ends show, logging.

Imports: nothing of stockbot outside `core.base` (third-party libraries only). Every
other package may import it.
"""
