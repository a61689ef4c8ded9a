"""Segmentation at intake: the domain dictionary, stop words, normalization, laziness, speed."""

from __future__ import annotations

import subprocess
import sys
import threading

from zhiyun.kernel import text
from zhiyun.kernel.text import Segmenter, load_word_list


def test_the_domain_dictionary_keeps_zhandao_jingying_as_one_word() -> None:
    words = Segmenter().tokens("小区门口有人占道经营，晚上噪音扰民")
    assert "占道经营" in words
    assert "噪音扰民" in words


def test_without_the_domain_dictionary_zhandao_jingying_falls_apart() -> None:
    words = Segmenter(domain_dictionary=False).cut("小区门口有人占道经营")
    assert "占道经营" not in words


def test_civic_words_of_the_dictionary_are_known() -> None:
    seg = Segmenter()
    for word in ("路灯", "井盖", "违章停车", "垃圾清运", "化粪池", "渣土车", "共享单车", "网格员", "12345"):
        assert seg.has_word(word), word
    assert len(load_word_list("domain_words.txt")) >= 300


def test_a_site_may_add_its_own_words() -> None:
    seg = Segmenter(user_words=["夏北花园"])
    assert "夏北花园" in seg.tokens("夏北花园门口路灯不亮")


def test_stop_words_courtesy_and_punctuation_are_dropped() -> None:
    words = Segmenter().tokens("您好！请问，希望相关部门尽快处理：夏北路的路灯不亮了。谢谢！")
    assert "路灯" in words
    for noise in ("您好", "请问", "希望", "相关部门", "尽快", "处理", "谢谢", "！", "，", "。", "的", "了"):
        assert noise not in words


def test_full_width_letters_and_digits_are_folded_and_lower_cased() -> None:
    assert Segmenter().tokens("拨打１２３４５热线") == Segmenter().tokens("拨打12345热线")
    assert "ktv" in Segmenter().tokens("楼下ＫＴＶ很吵")


def test_traditional_text_is_cut_into_the_same_words_as_simplified() -> None:
    seg = Segmenter()
    assert seg.tokens("路燈不亮，電線掉落在人行道上") == seg.tokens("路灯不亮，电线掉落在人行道上")
    assert "路灯" in seg.search_text("路燈不亮", "小區門口佔道經營")


def test_tagged_words_keep_punctuation_and_carry_part_of_speech_flags() -> None:
    seg = Segmenter()
    tagged = seg.tag("路燈不亮，占道經營")
    assert [w for w, _ in tagged] == ["路灯", "不亮", ",", "占道经营"]  # NFKC: ，→ ,
    assert all(isinstance(flag, str) for _, flag in tagged)
    assert dict(tagged)[","] == "x"
    assert seg.tag("") == []


def test_empty_text_has_no_tokens() -> None:
    seg = Segmenter()
    assert seg.tokens("") == []
    assert seg.tokens("  ，。！ ") == []
    assert seg.search_text("", "") == ""


def test_search_text_is_words_and_their_parts_joined_by_spaces() -> None:
    value = Segmenter().search_text("占道经营", "夏北路夜间施工噪音扰民")
    words = value.split(" ")
    assert "占道经营" in words and "经营" in words
    assert "噪音扰民" in words and "噪音" in words
    assert "  " not in value and value == value.strip()


def test_module_functions_use_one_default_segmenter() -> None:
    assert text.default_segmenter() is text.default_segmenter()
    assert text.tokens("井盖丢失") == text.default_segmenter().tokens("井盖丢失")
    assert text.search_text("井盖", "丢失") == text.default_segmenter().search_text("井盖", "丢失")


def test_importing_the_module_loads_nothing() -> None:
    code = (
        "import sys, zhiyun.kernel.text, zhiyun.dedupe.scoring;"
        "print('rjieba' in sys.modules, 'opencc' in sys.modules, zhiyun.kernel.text._default is None)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "True"]


def test_a_fresh_segmenter_can_be_used_by_many_threads_at_once() -> None:
    seg = Segmenter()
    barrier = threading.Barrier(8)
    results: list[list[str]] = []
    lock = threading.Lock()

    def work() -> None:
        barrier.wait()
        out = [seg.tokens("小区门口有人占道经营，噪音扰民") for _ in range(200)]
        with lock:
            results.extend(out)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == 1600
    assert all(r == results[0] for r in results)
    assert "占道经营" in results[0]
