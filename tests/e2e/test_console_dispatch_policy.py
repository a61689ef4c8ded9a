"""系统管理 → 智能分拨: the active model's figures and reliability diagram, the thresholds of the
targets, and the form that previews and sets the target accuracy — for admins only."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.e2e.console_harness import console_fixture, page_login, post_form  # noqa: F401
from tests.e2e.harness import Api, register
from tests.support import TEST_ADMIN, synthetic_messages
from zhiyun.classifier.calibration import BINS, Calibration
from zhiyun.classifier.model import TrainingData
from zhiyun.classifier.tables import ClassifierModelRow

PAGE = "/admin/dispatch-policy"
TAXONOMY = "code,name\nCG,城市管理\nJT,交通运输\nJY,教育文体\nHB,环境保护\nLD,劳动和社会保障\n"


def _messages(html: str) -> list[str]:
    return re.findall(r'role="(?:status|alert)">([^<]*)<', html)


def _graded_calibration() -> dict[str, object]:
    """Right 99 in 100 at 0.99, 93 in 100 at 0.75, 30 in 100 at 0.55: target 0.98 → threshold
    0.76, 0.95 and 0.90 → 0.56, 0.999 → out of reach."""
    confidences = [0.99] * 100 + [0.75] * 100 + [0.55] * 100
    correct = [i < 99 for i in range(100)] + [i < 93 for i in range(100)] + [i < 30 for i in range(100)]
    return Calibration.measure(confidences, correct).to_dict()


def _model(console: Api, calibration: dict[str, object] | None, source: str = "test") -> int:
    """An active model over the synthetic messages, its stored calibration replaced by `calibration`."""
    console.services.taxonomy.import_csv(TEST_ADMIN, TAXONOMY)
    rows = synthetic_messages(12, 3)
    data = TrainingData(
        [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows]
    )
    version = console.services.models.train(TEST_ADMIN, data, source=source, folds=3, activate=True).version
    with console.services.db.transaction() as session:
        row = session.scalars(select(ClassifierModelRow).where(ClassifierModelRow.version == version)).one()
        kept = {k: v for k, v in row.evaluation.items() if k != "calibration"}
        row.evaluation = kept if calibration is None else {**kept, "calibration": calibration}
    return version


def test_only_admins_see_open_and_post_the_dispatch_policy_section(console: Api) -> None:
    _model(console, _graded_calibration())
    admin = page_login(console, "admin")
    assert '<a href="/admin/dispatch-policy"' in admin.get("/admin").text
    assert admin.get(PAGE).status_code == 200
    before = console.stored(), console.services.dispatch_policy.dispatch_policy()
    for username in ("district", "town", "xiabei", "leader", "inspector", "agent"):
        client = page_login(console, username)
        client.get("/workbench")  # the CSRF cookie
        assert client.get(PAGE).status_code == 403, username
        for op in ("set", "preview"):
            refused = post_form(client, PAGE, {"op": op, "target": "0.6"})
            assert refused.status_code == 403, (username, op)
            assert "仅系统管理员可以访问管理页面" in refused.text  # the policy's refusal, not CSRF's
    # an admin's post without the CSRF token is refused too
    assert admin.post(PAGE, data={"op": "set", "target": "0.6"}).status_code == 403
    assert (console.stored(), console.services.dispatch_policy.dispatch_policy()) == before


def test_the_section_shows_the_model_its_reliability_diagram_and_what_each_target_gives(console: Api) -> None:
    version = _model(console, _graded_calibration())
    page = page_login(console, "admin").get(PAGE).text
    assert re.search(rf'data-testid="model-version">{version}<', page)
    assert "期望校准误差" in page and "留出样本宏平均 F1" in page
    diagram = page.split('data-testid="reliability"', 1)[1].split("</table>", 1)[0]
    assert len(re.findall(r"<tr data-bin=", diagram)) == BINS
    assert 'class="bar accuracy" style="width: 99.0%"' in diagram  # the 0.9–1.0 bin
    coverage = page.split('data-testid="coverage"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<tr data-target="([^"]+)"><td>([^<]+)</td>\s*<td>([^<]+)</td>', coverage)
    assert [(target, threshold) for target, _, threshold in rows] == [
        ("0.9", "56%"),
        ("0.95", "56%"),
        ("0.98", "76%"),
    ]
    assert re.search(r'data-testid="target">95\.0%<', page)  # the settings' default
    # in force: the 0.75 and 0.99 groups, right 192 times in 200
    assert "阈值 56%，预计自动派单 66.7%，预计准确率 96.0%" in page


def test_an_admin_previews_a_target_without_saving_it_then_sets_it(console: Api) -> None:
    _model(console, _graded_calibration())
    admin = page_login(console, "admin")
    admin.get(PAGE)
    preview = post_form(admin, PAGE, {"op": "preview", "target": "98%"})
    assert preview.status_code == 200
    assert "预览：目标准确率 98.0%（未保存）" in _messages(preview.text)
    shown = re.search(r'data-testid="preview">([^<]+)<', preview.text)
    assert shown is not None and "阈值 76%，预计自动派单 33.3%，预计准确率 99.0%" in shown.group(1)
    assert console.services.dispatch_policy.dispatch_policy().is_default

    unreachable = post_form(admin, PAGE, {"op": "preview", "target": "0.999"})
    assert "任何阈值都达不到该准确率：不自动派单" in unreachable.text

    saved = post_form(admin, PAGE, {"op": "set", "target": "0.98"})
    assert "已将自动派单的目标准确率设为 98.0%" in _messages(saved.text)
    policy = console.services.dispatch_policy.dispatch_policy()
    assert policy.target_accuracy == 0.98 and policy.set_by == "admin"
    assert re.search(r'data-testid="target">98\.0%<', saved.text)
    assert (
        "阈值 76%，预计自动派单 33.3%，预计准确率 99.0%"
        in saved.text.split('data-testid="threshold-in-force"')[1]
    )

    refused = post_form(admin, PAGE, {"op": "set", "target": "1.5"})
    assert refused.status_code == 422 and "目标准确率须在 50%–99.9% 之间" in _messages(refused.text)
    assert console.services.dispatch_policy.dispatch_policy().target_accuracy == 0.98


def test_without_a_model_or_without_its_calibration_the_section_says_what_applies(console: Api) -> None:
    admin = page_login(console, "admin")
    assert "尚未启用分类模型" in admin.get(PAGE).text
    _model(console, None)
    page = admin.get(PAGE).text
    assert "无校准数据（旧版本训练的模型）" in page
    assert "该模型没有置信度校准数据，使用固定阈值 60%" in page
    assert 'data-testid="reliability"' not in page


def test_text_of_a_model_version_is_shown_as_text(console: Api) -> None:
    _model(console, _graded_calibration(), source='file:<script>alert("x")</script>.csv')
    page = page_login(console, "admin").get(PAGE).text
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page


def test_the_order_page_says_an_order_waits_because_the_target_is_out_of_reach(console: Api) -> None:
    _model(console, _graded_calibration())
    console.services.dispatch_policy.set_target_accuracy(TEST_ADMIN, 0.999)
    order = register(
        console.as_("district"), title="公司拖欠工资", content="老板拖欠工资三个月不发，社保也没交"
    )
    assert order["status"] == "pending_dispatch"
    page = page_login(console, "district").get(f"/orders/{order['number']}").text
    assert "模型达不到目标准确率，待人工派单" in page
    suggestion = page.split("模型达不到目标准确率", 1)[1].split("</p>", 1)[0]
    assert "置信度" in suggestion and "阈值" not in suggestion  # no threshold was in force
