"""The classifier end to end on synthetic messages: learns, predicts, saves and loads without pickle."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest

from tests.support import SYNTHETIC_KEYWORDS, synthetic_messages
from zhiyun.classifier.evaluation import check_trainable, cross_validate, score
from zhiyun.classifier.features import FeatureConfig, KeywordBlock, char_keys
from zhiyun.classifier.files import ModelFileError, dump, load, sha256
from zhiyun.classifier.model import TextClassifier, TrainingData, train_classifier
from zhiyun.domain.errors import ValidationFailed


def _data(per_class: int = 40, seed: int = 7) -> TrainingData:
    rows = synthetic_messages(per_class, seed)
    return TrainingData(
        [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows]
    )


@pytest.fixture(scope="module")
def model() -> TextClassifier:
    return train_classifier(_data(), keywords=SYNTHETIC_KEYWORDS)


def test_cross_validation_shows_the_classifier_learns_the_classes() -> None:
    result = cross_validate(_data(), folds=4, seed=1)

    assert result.macro_f1 > 0.9
    assert result.accuracy > 0.9
    assert result.messages == 200
    assert set(result.labels) == {"城市管理", "交通运输", "教育文体", "环境保护", "劳动和社会保障"}
    assert sum(sum(row) for row in result.confusion) == 200


def test_the_same_folds_and_seed_give_the_same_figures() -> None:
    data = _data(20)

    first = cross_validate(data, folds=3, seed=5)
    second = cross_validate(data, folds=3, seed=5)

    assert first.macro_f1 == second.macro_f1
    assert first.confusion == second.confusion


def test_prediction_gives_the_top_three_categories_with_probabilities(model: TextClassifier) -> None:
    prediction = model.predict("狮山镇有人占道经营", "市场门口摊贩占道经营，堵住了人行道")

    assert prediction.categories[0].label == "城市管理"
    assert len(prediction.categories) == 3
    probabilities = [s.probability for s in prediction.categories]
    assert probabilities == sorted(probabilities, reverse=True)
    assert 0.5 < probabilities[0] <= 1.0
    assert prediction.urgent is False


def test_probabilities_over_all_labels_sum_to_one(model: TextClassifier) -> None:
    x = model.features.transform([("西樵镇红绿灯坏了", "路口红绿灯故障")])

    p = model.category_head.probabilities(x)

    assert p.shape == (1, 5)
    assert p.sum() == pytest.approx(1.0)


def test_the_order_type_is_learned_when_the_data_has_types(model: TextClassifier) -> None:
    asking = model.predict("孩子入学报名", "请问孩子上小学需要什么材料")
    complaining = model.predict("工厂排放废气", "投诉：工业园工厂晚上排放废气")

    assert asking.order_type is not None and asking.order_type.label == "consult"
    assert complaining.order_type is not None and complaining.order_type.label == "complaint"


def test_without_types_the_prediction_has_no_order_type() -> None:
    data = _data(15)
    plain = TrainingData(data.titles, data.contents, data.labels)

    assert train_classifier(plain, calibrate=False).predict("公交站牌损坏", "").order_type is None


def test_an_urgent_message_is_flagged_with_its_signals(model: TextClassifier) -> None:
    prediction = model.predict("小区燃气泄漏", "楼下餐馆燃气泄漏，有人被困在里面")

    assert prediction.urgent
    assert prediction.urgent_signals == ("燃气泄漏", "被困")


def test_predict_many_agrees_with_predict(model: TextClassifier) -> None:
    items = [("大沥镇公司拖欠工资", "老板拖欠工资"), ("", ""), ("九江镇河涌发臭", "河涌污染")]

    assert model.predict_many(items) == [model.predict(t, c) for t, c in items]
    assert model.predict_many([]) == []


def test_keywords_alone_point_to_their_label() -> None:
    block = KeywordBlock.build(1.0, {"环境保护": ["噪音", "废气"], "交通运输": ["公交"]})

    x = block.transform(["工地夜间噪音和废气", "公交车太少", "没有关键词"]).toarray()

    env, traffic = block.labels.index("环境保护"), block.labels.index("交通运输")
    assert x[0, env] == pytest.approx(np.log(3.0))  # two keywords → log(1 + 2)
    assert x[1, traffic] > 0 and x[1, env] == 0
    assert not x[2].any()


def test_character_windows_do_not_cross_messages() -> None:
    config = FeatureConfig(
        text_words=0, title_words=0, title_chars=0, keywords=0, char_min=2, char_max=2, min_df=1
    )
    from zhiyun.classifier.features import CharBlock

    block = CharBlock.fit("text_chars", 1.0, ["ab", "cd"], config)

    assert set(block.keys.tolist()) == {int(char_keys("ab")[0]), int(char_keys("cd")[0])}


def test_the_model_file_holds_no_pickled_objects(model: TextClassifier) -> None:
    data, meta = dump(model)

    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
        for name in archive.files:
            assert archive[name].dtype != object
    assert meta["format"] == "zhiyun-text-classifier"


def test_a_tampered_model_is_refused(model: TextClassifier) -> None:
    data, _ = dump(model)
    digest = sha256(data)
    tampered = bytearray(data)
    tampered[len(tampered) // 2] ^= 0xFF

    with pytest.raises(ModelFileError, match="校验失败"):
        load(bytes(tampered), digest)


def test_a_file_of_another_format_is_refused(model: TextClassifier) -> None:
    with pytest.raises(ModelFileError, match="不是 zhiyun 模型归档"):
        load(b"not a model at all")

    data, _ = dump(model)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        arrays = {n: archive.read(n) for n in archive.namelist()}
    meta = json.loads(np.load(io.BytesIO(arrays["meta.npy"])).tobytes())
    meta["format_version"] = 99
    buffer = io.BytesIO()
    with np.load(io.BytesIO(data)) as original:
        content = {n: original[n] for n in original.files}
    content["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez(buffer, **content)
    with pytest.raises(ModelFileError, match="格式版本"):
        load(buffer.getvalue())


def test_a_model_whose_shapes_do_not_match_is_refused(model: TextClassifier) -> None:
    data, _ = dump(model)
    with np.load(io.BytesIO(data)) as original:
        content = {n: original[n] for n in original.files}
    content["category_coef"] = content["category_coef"][:, :-1]
    buffer = io.BytesIO()
    np.savez(buffer, **content)

    with pytest.raises(ModelFileError, match="不一致"):
        load(buffer.getvalue())


def test_a_single_class_cannot_be_trained_or_evaluated() -> None:
    with pytest.raises(ValidationFailed, match="只有一类"):
        check_trainable(["城市管理"] * 10, 5)


def test_a_class_smaller_than_the_folds_is_named() -> None:
    with pytest.raises(ValidationFailed, match="「交通运输」2 条"):
        check_trainable(["城市管理"] * 10 + ["交通运输"] * 2, 5)


def test_scoring_counts_per_class_figures() -> None:
    result = score(["a", "a", "b", "b"], ["a", "b", "b", "b"])

    by_label = {c.label: c for c in result.classes}
    assert by_label["a"].precision == 1.0 and by_label["a"].recall == 0.5
    assert by_label["b"].precision == pytest.approx(2 / 3)
    assert result.accuracy == 0.75
    assert result.confusion == ((1, 1), (0, 2))


def _with_urgency() -> TrainingData:
    data = _data(30, seed=21)
    titles, contents = list(data.titles), list(data.contents)
    urgencies: list[str | None] = []
    for i in range(len(titles)):
        if i % 6 == 0:
            contents[i] += "路中间塌出一个大深坑，车辆随时会掉进去，十分危险"
            urgencies.append("urgent")
        else:
            urgencies.append("normal")
    return TrainingData(titles, contents, data.labels, data.order_types, urgencies)


def test_urgency_is_learned_when_the_data_has_enough_urgent_orders() -> None:
    model = train_classifier(_with_urgency())

    danger = model.predict("桂城街道有情况", "路中间塌出一个大深坑，车辆随时会掉进去")
    calm = model.predict("桂城街道公交站牌损坏", "站牌被撞坏了")

    assert model.urgency_head is not None
    assert danger.urgent
    assert danger.urgent_signals[-1].startswith("模型判断紧急")
    assert not calm.urgent


def test_too_few_urgent_orders_teach_no_urgency() -> None:
    data = _with_urgency()
    few = ["urgent" if i < 3 else "normal" for i in range(len(data.labels))]

    model = train_classifier(
        TrainingData(data.titles, data.contents, data.labels, None, few), calibrate=False
    )

    assert model.urgency_head is None


def test_a_learned_urgency_survives_saving_and_loading() -> None:
    model = train_classifier(_with_urgency(), calibrate=False)
    data, _ = dump(model)
    again = load(data, sha256(data))
    items = [("某处", "路中间塌出一个大深坑"), ("某处", "公交班次太少")]

    assert again.urgency_head is not None
    assert again.predict_many(items) == model.predict_many(items)


def test_a_message_in_traditional_chinese_is_read_as_its_simplified_form(model: TextClassifier) -> None:
    simplified = model.predict("狮山镇有人占道经营", "市场门口摊贩占道经营，堵住了人行道")
    traditional = model.predict("獅山鎮有人佔道經營", "市場門口攤販佔道經營，堵住了人行道")

    assert traditional.categories[0].label == simplified.categories[0].label
    assert traditional.categories[0].probability == pytest.approx(
        simplified.categories[0].probability, abs=0.02
    )


def test_danger_words_in_traditional_chinese_make_a_message_urgent(model: TextClassifier) -> None:
    prediction = model.predict("路燈桿倒了", "電線掉落在人行道上，有行人觸電受傷")

    assert prediction.urgent is True
    assert {"电线掉落", "触电", "受伤"} <= set(prediction.urgent_signals)


def test_nb_scaling_stretches_words_that_tell_classes_apart() -> None:
    import scipy.sparse as sp

    from zhiyun.classifier.model import nb_scaling

    # feature 0 only in class a; feature 1 in every message and feature 2 in one of each class say nothing
    x = sp.csr_matrix(np.array([[1, 1, 1], [1, 1, 0], [0, 1, 1], [0, 1, 0]], dtype=float))
    weights = nb_scaling(x, ["a", "a", "b", "b"])

    assert weights[0] > max(weights[1], weights[2])
    assert weights.mean() == pytest.approx(1.0)


def test_the_regularization_is_chosen_inside_the_training_data_and_recorded(model: TextClassifier) -> None:
    from zhiyun.classifier.model import C_GRID

    assert model.category_head.c in C_GRID
    assert model.category_head.temperature > 0


def test_a_model_file_from_before_raw_counts_keeps_its_sublinear_counts() -> None:
    config = FeatureConfig.from_dict(
        {k: v for k, v in FeatureConfig().to_dict().items() if k != "sublinear_tf"}
    )

    assert config.sublinear_tf is True
    assert FeatureConfig.from_dict(FeatureConfig().to_dict()).sublinear_tf is False
    with pytest.raises(ValueError):
        FeatureConfig.from_dict({**FeatureConfig().to_dict(), "sublinear_tf": 1})


def test_cross_validation_keeps_every_held_out_prediction_with_its_confidence() -> None:
    data = _data(20)

    result = cross_validate(data, folds=4, seed=2)

    assert sorted(o.index for o in result.outcomes) == list(range(len(data)))
    assert {o.fold for o in result.outcomes} == {0, 1, 2, 3}
    assert all(0.0 < o.confidence <= 1.0 for o in result.outcomes)
    assert sum(o.correct for o in result.outcomes) / len(data) == pytest.approx(result.accuracy)
    calibration = result.calibration
    assert calibration is not None and 0.0 <= calibration.ece <= 1.0
    assert "calibration" in result.to_dict()


def test_on_a_long_history_c_and_temperature_are_chosen_on_a_stratified_sample(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from zhiyun.classifier import model as model_module

    labels = np.array(["a"] * 90 + ["b"] * 10)
    monkeypatch.setattr(model_module, "SELECTION_LIMIT", 40)

    pick = model_module._selection_sample(labels, seed=0)

    assert pick is not None and 35 <= len(pick) <= 45
    assert sorted(set(labels[pick].tolist())) == ["a", "b"]
    assert (labels[pick] == "b").sum() >= 3
    assert model_module._selection_sample(labels[:30], seed=0) is None
    trained = train_classifier(_data(20))  # 100 messages, chosen on 40 of them
    assert trained.category_head.c in model_module.C_GRID
