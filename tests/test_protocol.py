"""One wire contract: ``observatory.protocol`` defines it; what the SDK keeps light copies
of (its caller-side checks run without importing pydantic) agrees with it."""

from __future__ import annotations

import subprocess
import sys
from typing import get_args

from observatory import _encode, _events, protocol


def test_sdk_checks_use_the_protocols_roles_and_ratings() -> None:
    assert _events.ROLES == protocol.ROLES == get_args(protocol.Role)
    assert _events.RATINGS == get_args(protocol.Rating)


def test_sdk_truncation_marker_is_the_protocols() -> None:
    assert _encode.TRUNCATION_MARKER == protocol.TRUNCATION_MARKER


def test_total_tokens_is_derived_in_one_place() -> None:
    assert protocol.total_tokens(3, 4, None) == 7
    assert protocol.total_tokens(3, 4, 9) == 9  # what the provider said wins
    assert protocol.total_tokens(3, None, None) is None


def test_importing_the_sdk_does_not_import_pydantic() -> None:
    code = "import sys, observatory; print('pydantic' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_sdk_limits_are_the_protocols() -> None:
    """The SDK keeps its own copies (importing protocol would load pydantic); they must agree."""
    from observatory import _limits, protocol

    assert _limits.MAX_TOKENS == protocol.MAX_TOKENS
    assert _limits.MAX_NESTING == protocol.MAX_NESTING
