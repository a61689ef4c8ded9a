"""How many short Chinese messages one thread segments per second (the text kernel's speed).

Intake segments every new order (search words, duplicate scoring), so this bounds what one
core can take in before anything touches the database. A speed, so measured here rather
than asserted in a unit test (a loaded machine made that test fail).

    python benchmarks/segmentation.py                 # 5,000 messages, best of 3 rounds
    python benchmarks/segmentation.py --messages 20000 --rounds 5

The last line on stdout is one JSON object: {"benchmark": "segmentation", "messages_per_s": ...}.
"""

from __future__ import annotations

import argparse
import json
import time

from zhiyun.kernel.text import Segmenter


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    seg = Segmenter()
    messages = [
        f"夏北路{i}号门口有人占道经营，晚上十点以后噪音扰民，希望城管处理" for i in range(args.messages)
    ]
    seg.tokens(messages[0])  # load the dictionary before the clock starts
    best = 0.0
    for _ in range(args.rounds):
        start = time.perf_counter()
        for message in messages:
            seg.tokens(message)
        best = max(best, len(messages) / (time.perf_counter() - start))
    print(json.dumps({"benchmark": "segmentation", "messages": args.messages, "messages_per_s": round(best)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
