"""`zhiyun model …`: evaluate, train, list, activate, roll back; the report and the dispatch target.

    zhiyun model evaluate --data FILE --text-col COL [--text-col COL …] --label-col COL
                          [--folds K] [--seed S] [--keywords FILE] [--test-data FILE]
                          [--min-per-class N] [--predictions OUT.csv] [--id-col COL] [--baseline]
                          [--learning-curve]
    zhiyun model train [--data FILE --text-col … --label-col … [--type-col COL]]
                       [--folds K] [--seed S] [--keywords FILE] [--activate/--no-activate]
    zhiyun model list | activate N | rollback
    zhiyun model report [--weeks N] [--level L] [--json]
    zhiyun model target ACCURACY            # e.g. 0.95 or 95%

`evaluate` runs stratified k-fold cross-validation with a fixed seed (or, with
--test-data, trains on all of --data and scores the other file) and prints per-class
precision/recall/F1, the confusion matrix, the calibration of the confidences and, as the
last line, one JSON object with `macro_f1` and `accuracy` (and `baseline_macro_f1` with
--baseline). `train` without --data learns from the database's closed orders
(with the taxonomy's names and keywords as prior knowledge) and stores a new version with
its evaluation. `report` shows the active version's calibration (ECE, reliability
diagram), the automatic-dispatch policy and the accuracy achieved; `target` sets the
accuracy automatic dispatch aims at. Bad input prints a Chinese message and exits with 1. Nothing runs at
import time. See docs/classifier.md.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from zhiyun.cli.support import DbOption, ZhiyunGroup, cli_actor, console, err_console, fail, open_services

if TYPE_CHECKING:
    from zhiyun.catalog.taxonomy import TaxonomyService
    from zhiyun.classifier.dispatch_policy import DispatchOverview, ThresholdChoice
    from zhiyun.classifier.evaluation import Evaluation
    from zhiyun.classifier.model import TrainingData
    from zhiyun.classifier.service import ModelVersion

model_app = typer.Typer(
    cls=ZhiyunGroup,
    help="文本分类模型：评估、训练、版本列表、启用与回退。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)

DataOption = Annotated[Path | None, typer.Option("--data", help="CSV（UTF-8 或 GB18030）或 XLSX 文件")]
TextCols = Annotated[
    list[str] | None,
    typer.Option("--text-col", help="文本列（可重复；第一个作为标题，其余合并为内容）"),
]
LabelCol = Annotated[str | None, typer.Option("--label-col", help="标签列（类别）")]
FoldsOption = Annotated[int, typer.Option("--folds", help="交叉验证折数（分层抽样）")]
SeedOption = Annotated[int, typer.Option("--seed", help="随机种子（同一种子同样的折）")]
KeywordsOption = Annotated[
    Path | None,
    typer.Option("--keywords", help="关键词表（CSV/XLSX）：第一列为类别，其余各列为该类的名称或关键词"),
]

CONFUSION_MAX_CLASSES = 30


@model_app.callback()
def _model() -> None:
    """文本分类模型：评估、训练、版本列表、启用与回退。"""


@contextmanager
def _progress(description: str) -> Iterator[Progress]:
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} 折"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        yield bar


def _keywords(path: Path | None) -> dict[str, list[str]] | None:
    if path is None:
        return None
    from zhiyun.classifier.training_file import read_keywords

    return read_keywords(path)


def _require_file_options(data: Path, text_cols: Sequence[str] | None, label_col: str | None) -> list[str]:
    if not text_cols:
        fail("请用 --text-col 指定至少一个文本列（第一个作为标题）", 2)
    if not label_col:
        fail("请用 --label-col 指定标签列", 2)
    if not data.exists():
        fail(f"文件不存在：{data}")
    return list(text_cols or [])


def _print_evaluation(evaluation: Evaluation, title: str) -> None:
    table = Table(title=title)
    for column in ("类别", "精确率", "召回率", "F1", "样本数"):
        table.add_column(column, justify="left" if column == "类别" else "right")
    for c in evaluation.classes:
        table.add_row(c.label, f"{c.precision:.3f}", f"{c.recall:.3f}", f"{c.f1:.3f}", str(c.support))
    table.add_section()
    table.add_row("宏平均 F1", "", "", f"{evaluation.macro_f1:.3f}", str(evaluation.messages))
    table.add_row("准确率", "", "", f"{evaluation.accuracy:.3f}", "")
    console.print(table)
    labels = evaluation.labels
    if len(labels) > CONFUSION_MAX_CLASSES:
        console.print(f"（类别超过 {CONFUSION_MAX_CLASSES} 个，混淆矩阵从略）")
        return
    matrix = Table(title="混淆矩阵（行：真实类别，列：预测类别，列号对应行号）")
    matrix.add_column("#", justify="right")
    matrix.add_column("真实类别")
    for i in range(len(labels)):
        matrix.add_column(str(i + 1), justify="right")
    for i, (label, row) in enumerate(zip(labels, evaluation.confusion, strict=True)):
        cells = [f"[bold]{v}[/bold]" if j == i else (str(v) if v else "·") for j, v in enumerate(row)]
        matrix.add_row(str(i + 1), label, *cells)
    console.print(matrix)


@model_app.command("evaluate")
def evaluate(
    data: Annotated[Path, typer.Option("--data", help="CSV（UTF-8 或 GB18030）或 XLSX 文件")],
    text_cols: TextCols = None,
    label_col: LabelCol = None,
    folds: FoldsOption = 5,
    seed: SeedOption = 0,
    keywords: KeywordsOption = None,
    test_data: Annotated[
        Path | None,
        typer.Option("--test-data", help="测试文件（列名同 --data）：用 --data 全部训练，在此文件上评分"),
    ] = None,
    min_per_class: Annotated[
        int | None,
        typer.Option("--min-per-class", min=2, help="样本少于此数的类别不参与评估（会列出这些类别）"),
    ] = None,
    predictions: Annotated[
        Path | None,
        typer.Option("--predictions", help="把每条消息的预测、置信度和真实类别写入此 CSV 文件"),
    ] = None,
    id_col: Annotated[
        str | None, typer.Option("--id-col", help="编号列（写入 --predictions；默认用行号）")
    ] = None,
    baseline: Annotated[
        bool, typer.Option("--baseline", help="同时评估基线（字符 1–3 元 TF-IDF + LinearSVC），同样的折")
    ] = False,
    learning_curve: Annotated[
        bool,
        typer.Option(
            "--learning-curve",
            help="学习曲线（需 --test-data）：用 100、200、400 条和全部训练数据训练，在测试文件上评分，并与基线比较",
        ),
    ] = False,
) -> None:
    """在没见过的消息上评估：分层 k 折交叉验证，或 --test-data 留出测试；各类精确率、召回率、F1，
    混淆矩阵，置信度校准；最后一行为 JSON（macro_f1、accuracy）。"""
    from zhiyun.classifier.evaluation import (
        check_trainable,
        cross_validate,
        drop_small_classes,
        holdout,
        subset,
    )
    from zhiyun.classifier.training_file import read_labelled

    columns = _require_file_options(data, text_cols, label_col)
    if folds < 2:
        fail(f"--folds 至少为 2（当前 {folds}）", 2)
    if test_data is not None and not test_data.exists():
        fail(f"测试文件不存在：{test_data}")
    if learning_curve and test_data is None:
        fail("--learning-curve 需要 --test-data（在另一个文件上评分）", 2)
    if predictions is not None and (predictions.is_dir() or not predictions.parent.exists()):
        fail(f"无法写入预测文件：{predictions}（目录不存在或是一个目录）")
    messages = read_labelled(data, columns, str(label_col), id_col=id_col)
    test = read_labelled(test_data, columns, str(label_col), id_col=id_col) if test_data else None
    prior = _keywords(keywords)
    dropped: dict[str, int] = {}
    if min_per_class is not None:
        messages, dropped = drop_small_classes(messages, min_per_class)
        if dropped:
            shown = "、".join(f"「{label}」{n} 条" for label, n in list(dropped.items())[:20])
            more = f" 等 {len(dropped)} 类" if len(dropped) > 20 else ""
            err_console.print(
                f"[yellow]样本少于 {min_per_class} 条的 {len(dropped)} 个类别不参与评估：{shown}{more}[/yellow]",
                soft_wrap=True,
            )
        if test is not None and dropped:
            keep = [i for i, label in enumerate(test.labels) if str(label) not in dropped]
            left_out = len(test) - len(keep)
            test = subset(test, keep)
            if left_out:
                err_console.print(f"[yellow]测试文件中属于这些类别的 {left_out} 条也不参与评估[/yellow]")
    if not messages.labels or (test is not None and not test.labels):
        fail("去掉小类后没有可评估的数据")
    if test is None:
        check_trainable([str(v) for v in messages.labels], folds)
        with _progress("交叉验证") as bar:
            task = bar.add_task("交叉验证", total=folds)
            result = cross_validate(
                messages,
                folds=folds,
                seed=seed,
                keywords=prior,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
        title = f"{data.name}：{result.messages} 条，{folds} 折交叉验证（种子 {seed}）"
    else:
        check_trainable([str(v) for v in messages.labels], 2)
        unknown = sorted({str(v) for v in test.labels} - {str(v) for v in messages.labels})
        if unknown:
            err_console.print(
                f"[yellow]测试文件中有训练数据没有的类别，这些消息必然判错：{'、'.join(unknown[:20])}[/yellow]",
                soft_wrap=True,
            )
        with err_console.status("训练并评分…"):
            result = holdout(messages, test, seed=seed, keywords=prior)
        title = f"用 {data.name}（{len(messages)} 条）训练，在 {test_data.name if test_data else ''} 的 {result.messages} 条上评分"
    _print_evaluation(result, title)
    calibration = result.calibration
    if calibration is not None:
        console.print(f"置信度校准：期望校准误差 ECE {calibration.ece:.3f}（0 为完全一致）")
        for line in calibration.diagram():
            console.print("  " + line)
    summary = {
        **{k: v for k, v in result.to_dict().items() if k != "calibration"},
        "mode": "cross_validation" if test is None else "holdout",
        "data": data.name,
        "test_data": test_data.name if test_data else None,
        "keywords": bool(prior),
        "dropped_classes": dropped,
        "ece": round(calibration.ece, 4) if calibration is not None else None,
    }
    if baseline:
        from zhiyun.classifier.baseline import baseline_cross_validate, baseline_holdout

        with err_console.status("评估基线…"):
            base = (
                baseline_cross_validate(messages, folds=folds, seed=seed)
                if test is None
                else baseline_holdout(messages, test)
            )
        delta = result.macro_f1 - base.macro_f1
        console.print(
            f"基线（字符 1–3 元 TF-IDF + LinearSVC）：宏平均 F1 {base.macro_f1:.3f}，准确率 {base.accuracy:.3f}；"
            f"本模型 {'高' if delta >= 0 else '低'} {abs(delta) * 100:.1f} 个百分点",
            soft_wrap=True,
        )
        summary["baseline_macro_f1"] = round(base.macro_f1, 4)
        summary["baseline_accuracy"] = round(base.accuracy, 4)
    if learning_curve and test is not None:
        from zhiyun.classifier.protocol import learning_curve as curve_of

        with err_console.status("学习曲线…"):
            curve = curve_of(messages, test, seed=seed, keywords=prior)
        table = Table(title="学习曲线（在测试文件上的宏平均 F1；小样本为 3 次随机抽样的平均）")
        for column in ("训练条数", "本模型", "基线", "差（百分点）"):
            table.add_column(column, justify="right")
        for point in curve:
            table.add_row(
                str(point.size),
                f"{point.macro_f1:.3f}",
                f"{point.baseline_macro_f1:.3f}",
                f"{point.gain_points:+.1f}",
            )
        console.print(table)
        summary["learning_curve"] = [
            {
                "messages": p.size,
                "macro_f1": round(p.macro_f1, 4),
                "baseline_macro_f1": round(p.baseline_macro_f1, 4),
            }
            for p in curve
        ]
    if predictions is not None:
        _write_predictions(predictions, test if test is not None else messages, result)
        console.print(f"已写入每条消息的预测：{predictions}")
    typer.echo(json.dumps(summary, ensure_ascii=False))


def _write_predictions(path: Path, data: TrainingData, result: Evaluation) -> None:
    """One row per evaluated message: its id, title, truth, prediction, confidence, fold."""
    import csv

    ids = data.ids
    try:
        with path.open("w", encoding="utf-8-sig", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["编号", "标题", "真实类别", "预测类别", "置信度", "是否正确", "折"])
            for o in result.outcomes:
                writer.writerow(
                    [
                        ids[o.index] if ids is not None else str(o.index + 1),
                        data.titles[o.index],
                        o.truth,
                        o.predicted,
                        f"{o.confidence:.4f}",
                        "是" if o.correct else "否",
                        o.fold + 1 if result.folds else "",
                    ]
                )
    except OSError as exc:
        fail(f"无法写入预测文件 {path}：{exc.strerror or exc}")


def _taxonomy_keywords(taxonomy: TaxonomyService) -> dict[str, list[str]]:
    """Category code → its name and keywords, from the site's taxonomy."""
    out: dict[str, list[str]] = {}
    for category in taxonomy.categories():
        out[category.code] = [category.name, *category.keywords]
    return out


@model_app.command("train")
def train(
    data: DataOption = None,
    text_cols: TextCols = None,
    label_col: LabelCol = None,
    type_col: Annotated[str | None, typer.Option("--type-col", help="诉求类型列（可选）")] = None,
    folds: FoldsOption = 5,
    seed: SeedOption = 0,
    keywords: KeywordsOption = None,
    min_per_class: Annotated[
        int | None, typer.Option("--min-per-class", min=2, help="样本少于此数的类别不参与训练")
    ] = None,
    activate: Annotated[
        bool | None,
        typer.Option("--activate/--no-activate", help="训练后启用；默认仅在尚无启用模型时启用"),
    ] = None,
    db: DbOption = None,
) -> None:
    """训练新版本（默认用数据库中已归档的工单，或 --data 文件），评估后保存。"""
    prior = _keywords(keywords)
    with open_services(db) as services, _progress("训练（交叉验证）") as bar:
        task = bar.add_task("训练（交叉验证）", total=folds)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        if data is not None:
            columns = _require_file_options(data, text_cols, label_col)
            version = services.models.train_from_file(
                cli_actor(),
                data,
                columns,
                str(label_col),
                type_col=type_col,
                folds=folds,
                seed=seed,
                keywords=prior,
                activate=activate,
                min_per_class=min_per_class or 2,
                progress=progress,
            )
        else:
            if text_cols or label_col:
                fail("--text-col/--label-col 只能与 --data 一起使用", 2)
            version = services.models.train_from_db(
                cli_actor(),
                folds=folds,
                seed=seed,
                keywords=prior if prior is not None else _taxonomy_keywords(services.taxonomy),
                activate=activate,
                min_per_class=min_per_class or 5,
                progress=progress,
            )
    _print_version_summary(version)


def _print_version_summary(v: ModelVersion) -> None:
    dropped: Mapping[str, int] = v.meta.get("dropped_classes") or {}
    state = "[green]已启用[/green]" if v.active else f"未启用（用 `zhiyun model activate {v.version}` 启用）"
    console.print(
        f"已保存模型版本 {v.version}：{len(v.labels)} 类，{v.meta.get('messages', '?')} 条，"
        f"{v.meta.get('folds', '?')} 折宏平均 F1 {v.macro_f1 or 0:.3f}，准确率 {v.accuracy or 0:.3f}；{state}",
        soft_wrap=True,
    )
    if dropped:
        shown = "、".join(f"{k}（{n}）" for k, n in list(dropped.items())[:10])
        console.print(f"[yellow]样本太少未参与训练的类别：{shown}[/yellow]", soft_wrap=True)
    typer.echo(
        json.dumps(
            {
                "version": v.version,
                "active": v.active,
                "macro_f1": v.macro_f1,
                "accuracy": v.accuracy,
                "classes": len(v.labels),
                "sha256": v.sha256,
            },
            ensure_ascii=False,
        )
    )


@model_app.command("list")
def list_versions(db: DbOption = None) -> None:
    """列出模型版本（最新在前）及其评估结果。"""
    with open_services(db) as services:
        versions = services.models.versions()
    if not versions:
        console.print("还没有模型版本：用 `zhiyun model train` 训练")
        return
    table = Table(title=f"模型版本（{len(versions)}）")
    for column in ("版本", "状态", "创建", "来源", "类别", "宏F1", "准确率", "SHA-256"):
        table.add_column(column, overflow="fold")
    for v in versions:
        table.add_row(
            str(v.version),
            "[green]启用中[/green]" if v.active else "",
            f"{v.created_at.astimezone():%Y-%m-%d %H:%M} {v.created_by}",
            v.source,
            str(len(v.labels)),
            f"{v.macro_f1:.3f}" if v.macro_f1 is not None else "",
            f"{v.accuracy:.3f}" if v.accuracy is not None else "",
            v.sha256[:8],
        )
    console.print(table)


@model_app.command("activate")
def activate_version(
    version: Annotated[int, typer.Argument(help="版本号（见 zhiyun model list）")],
    db: DbOption = None,
) -> None:
    """启用指定版本（先校验模型文件）；原启用版本可用 rollback 恢复。"""
    with open_services(db) as services:
        services.models.activate(cli_actor(), version)
        active = services.models.active_version()
    previous = f"（上一个启用版本：{active.previous_version}）" if active and active.previous_version else ""
    console.print(f"已启用模型版本 {version}{previous}")


@model_app.command("rollback")
def rollback(db: DbOption = None) -> None:
    """回退到上一个启用的版本。"""
    with open_services(db) as services:
        before = services.models.active_version()
        target = services.models.rollback(cli_actor())
    console.print(f"已回退：模型版本 {before.version if before else '?'} → {target.version}")


@model_app.command("report")
def model_report(
    weeks: Annotated[int, typer.Option("--weeks", min=1, max=520, help="统计最近几周")] = 12,
    level: Annotated[int, typer.Option("--level", min=1, max=3, help="按第几级分类汇总")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
    db: DbOption = None,
) -> None:
    """智能分拨报告：当前模型的置信度校准（ECE、可靠性图）与自动派单目标准确率、阈值；
    自动派单率和自动派单准确率（以后续退单、改派、改分类判定），按分类和按周。"""
    import json
    from datetime import UTC, datetime, timedelta

    from zhiyun.classifier.report import dispatch_report

    since = datetime.now(UTC) - timedelta(weeks=weeks)
    with open_services(db) as services:
        report = dispatch_report(services.db, since=since, level=level)
        overview = services.dispatch_policy.overview(cli_actor())
    if as_json:
        typer.echo(
            json.dumps(
                {
                    **_overview_json(overview),
                    "total": report.total.json(),
                    "by_category": [r.json() for r in report.by_category],
                    "by_week": [r.json() for r in report.by_week],
                    "feedback": report.feedback,
                },
                ensure_ascii=False,
            )
        )
        return
    _print_overview(overview)
    if not report.total.orders:
        console.print(f"最近 {weeks} 周没有经过分类模型的工单")
        return
    for title, rows in (("按分类", report.by_category), ("按周", report.by_week)):
        table = Table(
            "分类" if title == "按分类" else "周", "工单数", "自动派单", "自动派单率", "被纠正", "准确率"
        )
        for r in [*rows, report.total]:
            table.add_row(
                r.label,
                str(r.orders),
                str(r.auto),
                f"{r.auto_rate:.1%}",
                str(r.overturned),
                "—" if r.accuracy is None else f"{r.accuracy:.1%}",
            )
        console.print(f"[bold]{title}[/bold]")
        console.print(table)
    console.print(f"训练反馈（人工纠正）{report.feedback} 条")


@model_app.command("target")
def set_target(
    accuracy: Annotated[str, typer.Argument(help="目标准确率：0.95 或 95%（50%–99.9%）")],
    db: DbOption = None,
) -> None:
    """设置自动派单的目标准确率，并显示当前模型由此得到的阈值、预计自动派单比例和准确率。"""
    with open_services(db) as services:
        policy = services.dispatch_policy.set_target_accuracy(cli_actor(), accuracy)
        overview = services.dispatch_policy.overview(cli_actor())
    console.print(f"已将自动派单的目标准确率设为 {policy.target_accuracy:.1%}", soft_wrap=True)
    console.print(_choice_text(overview), soft_wrap=True)


# -- the dispatch policy in `model report` and `model target` ------------------------------------


def _choice_text(overview: DispatchOverview, choice: ThresholdChoice | None = None) -> str:
    """What a target gives the active model, in a sentence."""
    chosen = choice or overview.choice
    if overview.version is None:
        return "尚未启用分类模型：不自动派单"
    if not chosen.calibrated:
        return f"模型版本 {overview.version.version} 没有置信度校准数据：使用固定阈值 {overview.fixed_threshold:.0%}"
    if chosen.threshold is None:
        return f"目标准确率 {chosen.target:.1%}：任何阈值都达不到，不自动派单"
    return (
        f"目标准确率 {chosen.target:.1%}：阈值 {chosen.threshold:.0%}，"
        f"预计自动派单 {chosen.share or 0:.1%}，预计准确率 {chosen.accuracy or 0:.1%}"
    )


def _print_overview(overview: DispatchOverview) -> None:
    version, calibration, policy = overview.version, overview.calibration, overview.policy
    if version is None:
        console.print("[bold]当前模型[/bold]：尚未启用分类模型")
    else:
        console.print(
            f"[bold]当前模型[/bold]：版本 {version.version}，{len(version.labels)} 类，"
            f"{version.meta.get('messages', '?')} 条；留出样本宏平均 F1 {version.macro_f1 or 0:.3f}，"
            f"准确率 {version.accuracy or 0:.1%}",
            soft_wrap=True,
        )
    if calibration is not None:
        console.print(
            f"期望校准误差（ECE）{calibration.ece:.1%}；可靠性图（留出样本 {calibration.messages} 条）："
        )
        for line in calibration.diagram():
            console.print(f"  {line}", soft_wrap=True, highlight=False)
    elif version is not None:
        console.print("该模型没有置信度校准数据（旧版本训练）")
    who = "默认值" if policy.is_default else f"{policy.set_by} 设置"
    console.print(f"[bold]自动派单[/bold]：目标准确率 {policy.target_accuracy:.1%}（{who}）", soft_wrap=True)
    console.print(_choice_text(overview), soft_wrap=True)
    if calibration is not None:
        console.print("不同目标准确率的效果（按留出样本估计）：")
        for choice in overview.summary:
            console.print(f"  {_choice_text(overview, choice)}", soft_wrap=True)
    if overview.category_thresholds:
        shown = "、".join(f"{code} {t:.0%}" for code, t in sorted(overview.category_thresholds.items()))
        console.print(f"单独配置阈值的分类（优先）：{shown}", soft_wrap=True)


def _overview_json(overview: DispatchOverview) -> dict[str, object]:
    """The active model, its calibration and the dispatch policy, for `model report --json`."""
    version, calibration, policy = overview.version, overview.calibration, overview.policy
    choice = overview.choice.json()
    return {
        "model": None
        if version is None
        else {
            "version": version.version,
            "classes": len(version.labels),
            "messages": version.meta.get("messages"),
            "macro_f1": version.macro_f1,
            "accuracy": version.accuracy,
        },
        "calibration": None
        if calibration is None
        else {
            "messages": calibration.messages,
            "ece": round(calibration.ece, 4),
            "bins": calibration.to_dict()["bins"],
            "diagram": calibration.diagram(),
        },
        "dispatch_policy": {
            "target": policy.target_accuracy,
            "set_by": policy.set_by,
            "set_at": policy.set_at.isoformat() if policy.set_at else None,
            # without an active model nothing is automatic: no threshold, nothing expected
            **{k: v if version is not None else None for k, v in choice.items() if k != "target"},
            "automatic": version is not None and overview.choice.threshold is not None,
            "fixed_threshold": overview.fixed_threshold,
            "category_thresholds": dict(overview.category_thresholds),
            "targets": [c.json() for c in overview.summary] if calibration is not None else [],
        },
    }
