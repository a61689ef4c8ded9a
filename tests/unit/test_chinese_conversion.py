"""Traditional Chinese becomes Simplified before any rule sees it; Simplified text is left alone."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from zhiyun.kernel import chinese
from zhiyun.kernel.chinese import is_traditional, to_simplified


@pytest.mark.parametrize(
    ("traditional", "simplified"),
    [
        ("路燈不亮，電線掉落在人行道上", "路灯不亮，电线掉落在人行道上"),
        ("小孩在路燈旁觸電，有人受傷", "小孩在路灯旁触电，有人受伤"),
        ("樓下燃氣洩漏，味道很濃", "楼下燃气泄漏，味道很浓"),
        ("兩位老人被困在電梯裡", "两位老人被困在电梯里"),
        ("垃圾沒有清運，氣味難聞", "垃圾没有清运，气味难闻"),
    ],
)
def test_traditional_sentences_become_simplified(traditional: str, simplified: str) -> None:
    assert to_simplified(traditional) == simplified


def test_taiwan_and_hong_kong_variant_forms_become_simplified_too() -> None:
    assert to_simplified("樓上著火了") == "楼上着火了"  # 著 for 着: Taiwan and standard Traditional
    assert to_simplified("衞生間漏水") == "卫生间漏水"  # 衞: Hong Kong


def test_simplified_text_is_returned_as_the_same_object() -> None:
    text = "您好，夏北社区幸福路12号旁边的路灯已经连续一个星期不亮了，晚上走路很不方便。"

    assert to_simplified(text) is text
    assert not is_traditional(text)


def test_simplified_words_that_opencc_would_change_are_left_alone() -> None:
    # OpenCC's phrase table reads 打坏 as Traditional (坏: unfired brick) and writes 打坯.
    text = "路灯被打坏了，井盖也被压坏了"

    assert to_simplified(text) is text


def test_the_empty_string_is_returned_as_it_is() -> None:
    assert to_simplified("") == ""
    assert not is_traditional("")


def test_ascii_and_digits_are_unchanged_inside_converted_text() -> None:
    assert to_simplified("12345熱線：A區3號樓，Tel 0757-86123456") == "12345热线：A区3号楼，Tel 0757-86123456"


def test_ascii_text_is_returned_as_the_same_object() -> None:
    text = "Street light No. 12 is off"

    assert to_simplified(text) is text


def test_traditional_characters_outside_the_basic_plane_are_converted() -> None:
    assert to_simplified("困𨋢") == "困䢂"  # Cantonese "trapped in a lift"
    rare = "𠮷野家"  # a plane-2 character that is not Traditional-only

    assert to_simplified(rare) is rare


def test_importing_the_module_loads_nothing() -> None:
    code = (
        "import sys, zhiyun.kernel.chinese, zhiyun.kernel.text, zhiyun.classifier.urgency;"
        "print('opencc' in sys.modules, zhiyun.kernel.chinese._loaded is None)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


def test_many_threads_converting_at_first_use_load_opencc_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chinese, "_loaded", None)
    barrier = threading.Barrier(8)
    results: list[str] = []
    loaded: list[object] = []
    lock = threading.Lock()

    def work() -> None:
        barrier.wait()
        out = to_simplified("路燈不亮")
        with lock:
            results.append(out)
            loaded.append(chinese._loaded)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results == ["路灯不亮"] * 8
    assert all(state is loaded[0] for state in loaded)
