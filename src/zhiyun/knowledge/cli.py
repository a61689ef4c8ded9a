"""`zhiyun knowledge …` and `evaluate` (mounted as `zhiyun assistant evaluate` by the assistant's
command group): the knowledge base from the command line.

    zhiyun knowledge import-guide [--path DIR] [--draft]      # the service guide (published unless --draft)
    zhiyun knowledge import --data FILE.csv|xlsx --title-col C --answer-col C [--question-col C]
                            [--dept-col C] [--category-col C] [--source-col C] [--id-col C] [--publish]
    zhiyun knowledge propose [--limit N]                      # drafts from answered consultation orders
    zhiyun knowledge export-guide --out FILE.csv              # the guide as an evaluation KB file
    zhiyun knowledge ask "问题" [--top N]                       # what 小南 would answer
    zhiyun assistant evaluate --kb FILE --kb-id-col C --kb-title-col C --kb-text-col C [--kb-dept-col C]
                              --questions FILE --question-col C --expect-col C [--threshold X] [--choose]

`evaluate` loads the knowledge base file as a temporary in-memory index (nothing is stored),
asks every question, prints top-1, top-3, MRR and the share of out-of-scope questions handed
over; last, one JSON line {"top1", "top3", "mrr", "handover_accuracy"}.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from zhiyun.cli.support import DbOption, ZhiyunGroup, cli_actor, console, fail, open_services
from zhiyun.config import Settings
from zhiyun.domain.errors import DomainError
from zhiyun.domain.knowledge import ItemInput
from zhiyun.knowledge import evaluation as ev
from zhiyun.knowledge.guide import documents as guide_documents
from zhiyun.knowledge.guide import guide_records, shipped_guide
from zhiyun.knowledge.search import ANSWER_THRESHOLD, KnowledgeSearch
from zhiyun.knowledge.service import ImportRecord, KnowledgeService

knowledge_app = typer.Typer(
    cls=ZhiyunGroup,
    help="知识库：导入办事指南与问答表、由已办结咨询工单生成草稿、检索。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


def _print_import(
    result_created: int, updated: int, unchanged: int, published: int, rejected: list[tuple[str, str]]
) -> None:
    console.print(
        f"新增 {result_created} 条，更新 {updated} 条，未变 {unchanged} 条，发布 {published} 条，拒绝 {len(rejected)} 条"
    )
    for ref, reason in rejected[:20]:
        console.print(f"  {escape(ref)}：{escape(reason)}")


@knowledge_app.command("import-guide")
def import_guide(
    db: DbOption = None,
    path: Annotated[
        Path | None, typer.Option("--path", help="办事指南目录或 policy.jsonl(.gz)，默认随软件提供的一份")
    ] = None,
    draft: Annotated[bool, typer.Option("--draft", help="导入为草稿（默认直接审核发布）")] = False,
) -> None:
    """导入广东政务服务事项办事指南，每个事项一条知识点（再次导入只更新有变化的）。"""
    try:
        records = [ImportRecord(r.data, r.code) for r in guide_records(path or shipped_guide())]
        with open_services(db) as services:
            result = services.get(KnowledgeService).import_items(
                cli_actor(), records, origin="guide", publish=not draft
            )
    except DomainError as exc:
        fail(exc.message)
        return
    _print_import(result.created, result.updated, result.unchanged, result.published, result.rejected)


@knowledge_app.command("import")
def import_table(
    data: Annotated[Path, typer.Option("--data", help="CSV 或 XLSX 文件")],
    title_col: Annotated[str, typer.Option("--title-col", help="标题（问题）列")],
    answer_col: Annotated[str, typer.Option("--answer-col", help="答案列")],
    db: DbOption = None,
    question_col: Annotated[
        str | None, typer.Option("--question-col", help="相似问法列（多条以 | 或换行分隔）")
    ] = None,
    dept_col: Annotated[str | None, typer.Option("--dept-col", help="主管部门列")] = None,
    category_col: Annotated[str | None, typer.Option("--category-col", help="分类列")] = None,
    source_col: Annotated[str | None, typer.Option("--source-col", help="来源列")] = None,
    id_col: Annotated[str | None, typer.Option("--id-col", help="编号列：再次导入时据此更新")] = None,
    publish: Annotated[bool, typer.Option("--publish", help="导入后直接审核发布（默认为草稿）")] = False,
) -> None:
    """从 CSV/XLSX 问答表导入知识点（按列名映射）。"""
    try:
        header, rows = ev.read_table(data)
        for name, what in ((title_col, "标题"), (answer_col, "答案")):
            ev.column(header, name, what)
        for optional, what in (
            (question_col, "相似问法"),
            (dept_col, "部门"),
            (category_col, "分类"),
            (source_col, "来源"),
            (id_col, "编号"),
        ):
            ev.column(header, optional, what, required=False)
        records = []
        for row in rows:
            questions = row.get(question_col, "") if question_col else ""
            records.append(
                ImportRecord(
                    ItemInput(
                        title=row.get(title_col, ""),
                        answer=row.get(answer_col, ""),
                        department=row.get(dept_col, "") if dept_col else "",
                        category=row.get(category_col, "") if category_col else "",
                        source=row.get(source_col, "") if source_col else data.name,
                        questions=tuple(q for q in questions.replace("\n", "|").split("|") if q.strip()),
                    ),
                    row.get(id_col) if id_col else None,
                )
            )
        with open_services(db) as services:
            result = services.get(KnowledgeService).import_items(
                cli_actor(), records, origin="import", publish=publish
            )
    except DomainError as exc:
        fail(exc.message)
        return
    _print_import(result.created, result.updated, result.unchanged, result.published, result.rejected)


@knowledge_app.command("propose")
def propose(
    db: DbOption = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=500, help="最多生成条数")] = 50,
) -> None:
    """由已办结、答复已解决问题的咨询工单生成知识点草稿，交审核人修改、发布。"""
    with open_services(db) as services:
        try:
            made = services.get(KnowledgeService).propose_from_orders(cli_actor(), limit=limit)
        except DomainError as exc:
            fail(exc.message)
            return
    console.print(f"生成草稿 {len(made)} 条")
    for item in made[:20]:
        console.print(f"  #{item.id} {escape(item.title)}（{escape(item.source)}）")


@knowledge_app.command("export-guide")
def export_guide(
    out: Annotated[Path, typer.Option("--out", help="写出的 CSV 文件")],
    path: Annotated[Path | None, typer.Option("--path", help="办事指南目录，默认随软件提供的一份")] = None,
) -> None:
    """把办事指南写成评测用的知识库 CSV（id,title,text,dept）。"""
    try:
        docs = guide_documents(path)
    except DomainError as exc:
        fail(exc.message)
        return
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "title", "text", "dept"])
        for d in docs:
            writer.writerow([d.key, d.title, d.answer, d.department])
    console.print(f"已写出 {len(docs)} 条：{escape(str(out))}")


@knowledge_app.command("ask")
def ask(
    question: Annotated[str, typer.Argument(help="问题")],
    db: DbOption = None,
    top: Annotated[int, typer.Option("--top", min=1, max=20, help="条数")] = 3,
) -> None:
    """用已发布的知识点回答一个问题（小南会如何回答）。"""
    with open_services(db) as services:
        try:
            answer = services.get(KnowledgeSearch).ask(question, top)
        except DomainError as exc:
            fail(exc.message)
            return
    table = Table("编号", "标题", "部门", "得分", "可答")
    for hit in answer.hits:
        table.add_row(
            str(hit.item_id),
            escape(hit.title),
            escape(hit.department),
            f"{hit.score:.3f}",
            "是" if hit.answerable else "否",
        )
    console.print(table)
    console.print(f"阈值 {answer.threshold:.3f}：" + ("回答" if answer.answerable else "转人工"))


def evaluate(
    kb: Annotated[Path, typer.Option("--kb", help="知识库文件 CSV/XLSX")],
    kb_id_col: Annotated[str, typer.Option("--kb-id-col", help="知识点编号列")],
    kb_title_col: Annotated[str, typer.Option("--kb-title-col", help="标题列")],
    kb_text_col: Annotated[str, typer.Option("--kb-text-col", help="答案列")],
    questions: Annotated[Path, typer.Option("--questions", help="问题文件 CSV/XLSX")],
    question_col: Annotated[str, typer.Option("--question-col", help="问题列")],
    expect_col: Annotated[
        str, typer.Option("--expect-col", help="预期知识点编号列（空：应转人工；多个以 | 分隔）")
    ],
    kb_dept_col: Annotated[str | None, typer.Option("--kb-dept-col", help="部门列")] = None,
    threshold: Annotated[
        float | None, typer.Option("--threshold", min=0.0, max=1.0, help="回答阈值，默认为配置的阈值")
    ] = None,
    choose: Annotated[bool, typer.Option("--choose", help="同时给出在这组问题上判断最准的阈值")] = False,
) -> None:
    """把知识库文件载入临时索引，逐题提问，输出 top-1、top-3、MRR 与域外问题转人工比例。"""
    try:
        docs = ev.kb_documents(kb, kb_id_col, kb_title_col, kb_text_col, kb_dept_col)
        asked = ev.questions_of(questions, question_col, expect_col)
    except DomainError as exc:
        fail(exc.message)
        return
    configured = Settings().knowledge_answer_threshold
    used = threshold if threshold is not None else (ANSWER_THRESHOLD if configured is None else configured)
    result = ev.evaluate(docs, asked, used)
    f = result.figures
    console.print(
        f"知识库 {len(docs)} 条；问题 {f.questions} 个（域内 {f.in_scope}，域外 {f.out_of_scope}）；阈值 {used:.4f}"
    )
    console.print(f"top-1 {f.top1:.3f}  top-3 {f.top3:.3f}  MRR {f.mrr:.3f}")
    console.print(
        f"域外转人工 {f.handover_accuracy:.3f}  域内答对且回答 {f.answered_right:.3f}  判断正确 {f.decision_accuracy:.3f}"
    )
    if choose:
        console.print(f"在这组问题上判断最准的阈值：{result.chosen:.4f}")
    print(
        json.dumps(
            {
                "top1": round(f.top1, 4),
                "top3": round(f.top3, 4),
                "mrr": round(f.mrr, 4),
                "handover_accuracy": round(f.handover_accuracy, 4),
            }
        )
    )
