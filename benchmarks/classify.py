"""The classifier against a plain TF-IDF + LinearSVC baseline on the same folds, and its speed.

    python benchmarks/classify.py [PATH_TO_附件2.xlsx] [--taxonomy taxonomy_517.xlsx | --no-keywords]
                                  [--folds 5] [--seed 0] [--seconds 3]

Data (read where it lies, never copied into the repository; without it the script says so
and exits with 1): ../shared/data/teddy2020_sample/附件2.xlsx — 495 citizen messages with
留言主题 (subject, read as the title), 留言详情 (detail, the content) and 一级分类 (7
first-level classes) — and, as prior knowledge, the names of the 2nd- and 3rd-level
categories of the same challenge's taxonomy (taxonomy_517.xlsx) as keywords of their
first-level class.

Both models are evaluated by stratified k-fold with the same seed, so on exactly the same
folds:
- baseline: scikit-learn TfidfVectorizer(analyzer="char", ngram_range=(1, 3)) + LinearSVC()
  with defaults, on title + " " + content;
- zhiyun: `zhiyun.classifier.model` with its default features (character n-grams of
  the whole text, words and character n-grams of the title as blocks of their own, the
  taxonomy keywords), also reported without the keywords.

Throughput is prediction on one core (BLAS/OpenMP threads set to 1, the process pinned to
one CPU) of a model trained on all messages, including urgency and probabilities: in
batches of 256 (`messages_per_s`) and one message at a time (`messages_per_s_single`),
per wall-clock second and per CPU second of this process (`messages_per_cpu_s…`: what one
core does when the machine is shared; the load average is printed with them).
The last line is one JSON object with `macro_f1`, `baseline_macro_f1` and `messages_per_s`.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from pathlib import Path  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "data" / "teddy2020_sample" / "附件2.xlsx"
BATCH = 256


def baseline_macro_f1(
    titles: Sequence[str], contents: Sequence[str], labels: Sequence[str], folds: int, seed: int
) -> tuple[float, float]:
    """Macro-F1 of char 1–3-gram TF-IDF + LinearSVC on the same folds, and its predictions/s."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics import f1_score
    from sklearn.svm import LinearSVC

    from zhiyun.classifier.evaluation import stratified_folds

    texts = [f"{t} {c}" for t, c in zip(titles, contents, strict=True)]
    y = np.asarray(labels)
    predicted = np.empty(len(y), dtype=object)
    for train, test in stratified_folds(labels, folds, seed):
        vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3))
        x = vectorizer.fit_transform([texts[i] for i in train])
        model = LinearSVC().fit(x, y[train])
        predicted[test] = model.predict(vectorizer.transform([texts[i] for i in test]))
    score = float(f1_score(y, predicted.astype(str), average="macro"))
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3))
    model = LinearSVC().fit(vectorizer.fit_transform(texts), y)
    started, done = time.perf_counter(), 0
    while time.perf_counter() - started < 2.0:
        model.predict(vectorizer.transform(texts))
        done += len(texts)
    return score, done / (time.perf_counter() - started)


def throughput(
    predict: object, items: list[tuple[str, str]], batch: int, seconds: float
) -> tuple[float, float]:
    """Messages per wall-clock second and per CPU second, calling `predict(list)` `batch` at a time.

    On a machine shared with other work the CPU figure is what one core of our own does.
    """
    call = predict  # a bound predict_many
    assert callable(call)
    chunks = [items[i : i + batch] for i in range(0, len(items), batch)]
    call(chunks[0])  # warm up (segmenter dictionary, caches)
    started, cpu, done = time.perf_counter(), time.process_time(), 0
    while time.perf_counter() - started < seconds:
        for chunk in chunks:
            call(chunk)
            done += len(chunk)
    return done / (time.perf_counter() - started), done / max(time.process_time() - cpu, 1e-9)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument(
        "--taxonomy", type=Path, default=None, help="keyword table (default: beside the data)"
    )
    parser.add_argument("--no-keywords", action="store_true")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--seconds", type=float, default=3.0, help="how long to measure throughput")
    args = parser.parse_args(argv)

    if not args.data.exists():
        print(f"data not found: {args.data} (the TipDM 2020 sample, see ../shared/data)", file=sys.stderr)
        return 1
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

    from zhiyun.classifier.evaluation import cross_validate
    from zhiyun.classifier.model import train_classifier
    from zhiyun.classifier.training_file import read_keywords, read_labelled

    data = read_labelled(args.data, ["留言主题", "留言详情"], "一级分类")
    keywords = None
    if not args.no_keywords:
        taxonomy = args.taxonomy or args.data.with_name("taxonomy_517.xlsx")
        if taxonomy.exists():
            keywords = read_keywords(taxonomy)
        else:
            print(f"taxonomy not found: {taxonomy}; running without keywords", file=sys.stderr)
    titles, contents, labels = list(data.titles), list(data.contents), [str(v) for v in data.labels]
    print(
        f"{args.data.name}: {len(labels)} messages, {len(set(labels))} classes, {args.folds} folds, seed {args.seed}"
    )

    base_f1, base_speed = baseline_macro_f1(titles, contents, labels, args.folds, args.seed)
    print(f"baseline (char 1-3 TF-IDF + LinearSVC): macro-F1 {base_f1:.4f}")

    started = time.perf_counter()
    ours = cross_validate(data, folds=args.folds, seed=args.seed, keywords=keywords)
    cv_seconds = time.perf_counter() - started
    print(f"zhiyun: macro-F1 {ours.macro_f1:.4f}, accuracy {ours.accuracy:.4f} ({cv_seconds:.1f} s)")
    plain = ours
    if keywords:
        plain = cross_validate(data, folds=args.folds, seed=args.seed, keywords=None)
        print(f"zhiyun without taxonomy keywords: macro-F1 {plain.macro_f1:.4f}")

    started = time.perf_counter()
    model = train_classifier(data, keywords=keywords, seed=args.seed)
    train_seconds = time.perf_counter() - started
    items = list(zip(titles, contents, strict=True))
    batched, batched_cpu = throughput(model.predict_many, items, BATCH, args.seconds)
    single, single_cpu = throughput(model.predict_many, items, 1, args.seconds)
    chars = sum(len(t) + len(c) for t, c in items) / len(items)
    print(
        f"prediction on one core: {batched:,.0f} messages/s in batches of {BATCH}, "
        f"{single:,.0f} one at a time (mean {chars:.0f} characters a message); per CPU second "
        f"{batched_cpu:,.0f} and {single_cpu:,.0f}; "
        f"baseline {base_speed:,.0f}/s; training on all {len(items)}: {train_seconds:.1f} s"
    )
    result = {
        "macro_f1": round(ours.macro_f1, 4),
        "baseline_macro_f1": round(base_f1, 4),
        "gain_points": round(100 * (ours.macro_f1 - base_f1), 2),
        "macro_f1_without_keywords": round(plain.macro_f1, 4),
        "accuracy": round(ours.accuracy, 4),
        "messages_per_s": round(batched),
        "messages_per_s_single": round(single),
        "messages_per_cpu_s": round(batched_cpu),
        "messages_per_cpu_s_single": round(single_cpu),
        "load_average": round(os.getloadavg()[0], 1),
        "baseline_messages_per_s": round(base_speed),
        "train_seconds": round(train_seconds, 1),
        "messages": len(items),
        "folds": args.folds,
        "seed": args.seed,
        "keywords": bool(keywords),
    }
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
