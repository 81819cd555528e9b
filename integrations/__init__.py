"""Framework mappers: ``observatory.integrations.langchain``, ``.temporal``, ``.openai_agents``.

Import the one you use; importing this package imports no framework.
See ``docs/integrations.md``.
"""
