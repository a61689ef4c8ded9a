"""The event taxonomy: a tree of categories, three levels deep (大类 / 中类 / 小类).

Every category has a code, a Chinese name, a parent (none for a first-level category),
keywords that hint at it in a citizen's words, the order type it usually is and an
optional reply time limit (working days) that overrides the type's default. The tree is
checked as a whole: unknown parents, cycles, depth beyond three and duplicate codes are
refused with one message per problem.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from zhiyun.domain.errors import NotFound, ValidationFailed
from zhiyun.domain.workorder import OrderType

MAX_DEPTH = 3
MAX_CODE = 64
MAX_NAME = 100


@dataclass(frozen=True)
class Category:
    """One category of the taxonomy (事项分类)."""

    code: str
    name: str
    parent_code: str | None = None
    keywords: tuple[str, ...] = ()
    default_type: OrderType | None = None
    time_limit_days: float | None = None
    active: bool = True


def validate_categories(categories: Iterable[Category]) -> list[str]:
    """Problems with a set of categories (Chinese, one per problem); empty when the tree is sound."""
    problems: list[str] = []
    by_code: dict[str, Category] = {}
    for cat in categories:
        code = cat.code.strip()
        if not code:
            problems.append(f"分类「{cat.name}」缺少编码")
            continue
        if len(code) > MAX_CODE:
            problems.append(f"{code}: 编码超过{MAX_CODE}个字符")
        if code in by_code:
            problems.append(f"{code}: 编码重复")
            continue
        if not cat.name.strip():
            problems.append(f"{code}: 名称为空")
        elif len(cat.name) > MAX_NAME:
            problems.append(f"{code}: 名称超过{MAX_NAME}个字")
        if cat.time_limit_days is not None and not 0 < cat.time_limit_days <= 365:
            problems.append(f"{code}: 办理时限须在 0–365 个工作日之间")
        by_code[code] = cat
    for code, cat in by_code.items():
        if cat.parent_code is not None and cat.parent_code not in by_code:
            problems.append(f"{code}: 上级分类 {cat.parent_code} 不存在")
    for code in by_code:
        seen = [code]
        parent = by_code[code].parent_code
        while parent is not None and parent in by_code:
            if parent in seen:
                problems.append(f"{code}: 上下级关系成环（{' → '.join([*seen, parent])}）")
                break
            seen.append(parent)
            parent = by_code[parent].parent_code
        else:
            if len(seen) > MAX_DEPTH:
                problems.append(f"{code}: 分类层级超过{MAX_DEPTH}级")
    return problems


@dataclass
class Taxonomy:
    """A sound category tree in memory: look-ups by code, levels, ancestors, subtrees."""

    categories: dict[str, Category]
    children: dict[str | None, list[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, categories: Iterable[Category]) -> Taxonomy:
        """The tree of `categories`; ValidationFailed (422) listing every problem when unsound."""
        cats = list(categories)
        problems = validate_categories(cats)
        if problems:
            raise ValidationFailed("分类表有误：" + "；".join(problems), problems=problems)
        by_code = {c.code: c for c in cats}
        children: dict[str | None, list[str]] = {None: []}
        for code in by_code:
            children.setdefault(code, [])
        for cat in cats:
            children[cat.parent_code].append(cat.code)
        for kids in children.values():
            kids.sort()
        return cls(by_code, children)

    def __contains__(self, code: object) -> bool:
        return code in self.categories

    def __len__(self) -> int:
        return len(self.categories)

    def get(self, code: str) -> Category:
        try:
            return self.categories[code]
        except KeyError:
            raise NotFound(f"分类编码 {code} 不存在", category_code=code) from None

    def ancestors(self, code: str) -> Iterator[Category]:
        """The category's parent, grandparent, … up to its first-level category."""
        parent = self.get(code).parent_code
        while parent is not None:
            cat = self.categories[parent]
            yield cat
            parent = cat.parent_code

    def level(self, code: str) -> int:
        """1 for a first-level category, 2 below it, 3 at the bottom."""
        return 1 + sum(1 for _ in self.ancestors(code))

    def top(self, code: str) -> Category:
        """The first-level category that `code` belongs to."""
        *_, last = [self.get(code), *self.ancestors(code)]
        return last

    def is_within(self, code: str, ancestor: str) -> bool:
        """True when `code` is `ancestor` or lies below it."""
        return code == ancestor or any(a.code == ancestor for a in self.ancestors(code))

    def subtree(self, code: str) -> list[str]:
        """The category and everything below it, parents first."""
        result = [code]
        for child in self.children.get(code, []):
            result.extend(self.subtree(child))
        return result

    def roots(self) -> list[Category]:
        return [self.categories[c] for c in self.children.get(None, [])]

    def walk(self) -> Iterator[Category]:
        """Every category, each parent before its children, siblings by code."""
        for root in self.children.get(None, []):
            for code in self.subtree(root):
                yield self.categories[code]

    def path_names(self, code: str) -> str:
        """ "城市管理 / 市容环境 / 垃圾清运": the category's place in the tree."""
        names = [c.name for c in reversed(list(self.ancestors(code)))]
        return " / ".join([*names, self.get(code).name])

    def time_limit_days(self, code: str) -> float | None:
        """The reply time limit of `code`: its own override, else its nearest ancestor's."""
        for cat in (self.get(code), *self.ancestors(code)):
            if cat.time_limit_days is not None:
                return cat.time_limit_days
        return None

    def default_type(self, code: str) -> OrderType | None:
        for cat in (self.get(code), *self.ancestors(code)):
            if cat.default_type is not None:
                return cat.default_type
        return None

    def keyword_hits(self, text: str) -> dict[str, int]:
        """How many of each category's keywords (and its name) occur in `text`; only hits."""
        hits: dict[str, int] = {}
        for code, cat in self.categories.items():
            n = sum(1 for k in cat.keywords if k and k in text)
            if cat.name and len(cat.name) >= 2 and cat.name in text:
                n += 1
            if n:
                hits[code] = n
        return hits


__all__ = ["MAX_DEPTH", "Category", "Taxonomy", "validate_categories"]
