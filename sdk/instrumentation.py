"""What framework integrations build on (``observatory.integrations`` uses only this and ``observatory``).

- :data:`current_run_var`: the context variable holding the innermost run (or
  None). Decorated code and ``observatory.current_run()`` read it; a mapper whose
  framework reports a step's start and end as two callbacks sets it at the start
  and restores it at the end, since it cannot wrap the step in ``with run.activate()``.
- :func:`read_usage`: token usage from a provider's response in any spelling
  (OpenAI, Anthropic, LangChain, Gemini, Ollama), read without running its code.
"""

from ._context import current_run_var
from ._usage import read_usage

__all__ = ["current_run_var", "read_usage"]
