"""The workbench's notice sound (src/zhiyun/web/static/sounds/notice.wav), made with the standard library.

    python scripts/notice_sound.py           # write the file
    python scripts/notice_sound.py --check   # exit 1 when the committed file differs

A two-note chime of a third of a second: 8 kHz, 8-bit mono, about 2.7 KB. Nothing is
downloaded; the same bytes come out every time.
"""

from __future__ import annotations

import argparse
import io
import math
import sys
import wave
from pathlib import Path

TARGET = Path(__file__).resolve().parents[1] / "src" / "zhiyun" / "web" / "static" / "sounds" / "notice.wav"
RATE = 8000
NOTES = ((880.0, 0.13), (1318.5, 0.2))  # A5 then E6, seconds
VOLUME = 0.45


def chime() -> bytes:
    """The WAV file's bytes."""
    frames = bytearray()
    for frequency, seconds in NOTES:
        count = int(RATE * seconds)
        for i in range(count):
            attack = min(1.0, i / (RATE * 0.005))  # 5 ms in, then an exponential fade out
            envelope = attack * math.exp(-4.0 * i / count)
            value = VOLUME * envelope * math.sin(2 * math.pi * frequency * i / RATE)
            frames.append(max(0, min(255, round(128 + 127 * value))))
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(1)
        wav.setframerate(RATE)
        wav.writeframes(bytes(frames))
    return out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args()
    data = chime()
    if args.check:
        if not TARGET.is_file() or TARGET.read_bytes() != data:
            print(f"{TARGET} is out of date: run python scripts/notice_sound.py", file=sys.stderr)
            return 1
        return 0
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_bytes(data)
    print(f"wrote {TARGET} ({len(data)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
