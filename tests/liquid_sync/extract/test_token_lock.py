from __future__ import annotations

import os

import pytest

from liquid_sync.extract.token_lock import TokenBusy, token_lock


def test_second_holder_fails_fast_and_the_lock_is_released_after(tmp_path):
    path = tmp_path / "locks" / "token-3001.lock"
    with token_lock(path, "demo", "3001"):
        assert path.read_text().strip() == str(os.getpid())
        with pytest.raises(TokenBusy, match=f"token 3001 is in use by another extraction \\(pid {os.getpid()}"):
            with token_lock(path, "demo", "3001"):
                pass
    with token_lock(path, "demo", "3001"):
        pass
