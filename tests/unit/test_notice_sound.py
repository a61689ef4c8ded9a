"""The workbench's notice sound is the file scripts/notice_sound.py makes: small, short, valid WAV."""

from __future__ import annotations

import io
import wave

from scripts import notice_sound


def test_the_committed_sound_is_what_the_script_makes() -> None:
    data = notice_sound.chime()
    assert notice_sound.TARGET.read_bytes() == data, "run python scripts/notice_sound.py"
    assert len(data) < 4096
    with wave.open(io.BytesIO(data)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 1, 8000)
        assert 0.2 < wav.getnframes() / wav.getframerate() < 0.5
