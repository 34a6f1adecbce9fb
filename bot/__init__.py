"""bot: the Telegram front end (python-telegram-bot) — handlers, keyboards, message
formatting and the notifier.

Imports: `core.agent.engine` and the core base only. Handlers parse input, call the Engine and
format its answer; they never touch storage, a broker or a model.
"""
