"""Automatic dispatch (智能分拨): classify a new order, ask the responsibility list, route it.

A hook on the workflow's registration, inside its transaction:

* before the order is registered, the active classifier reads its title and content: the
  category (filled in when the order has none and the classifier is sure enough) and the
  urgency signals (gas leak, fire, people trapped → the order is registered as urgent; the
  registration's audit record says why) — never a silent change afterwards;
* once registered (and, at intake, once duplicates are settled), the top three categories
  go through the responsibility list with the order's area. When the best one's
  confidence reaches the threshold (the active model's calibrated threshold for the target
  accuracy — none when the target is out of reach —, or the fixed one for a model without
  a calibration; per category configurable) and the order is not a possible duplicate,
  the order is dispatched as the system to the unit of the one rule
  that applies — or, when no rule or conflicting rules apply, to the center of its area
  (首接负责) — with a transition note naming the rule and the confidence. Otherwise it
  stays pending with the three suggestions for a dispatcher.

Without an active model nothing is automatic: an order that already has a category gets
the responsibility list's suggestion only. Every outcome is kept as the order's dispatch
suggestion; manual corrections become training feedback (`feedback.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from zhiyun.catalog.responsibility import ListCache, Lists
from zhiyun.catalog.tables import DispatchSuggestionRow
from zhiyun.domain.access import Actor
from zhiyun.domain.errors import DomainError
from zhiyun.domain.org import OrgTree
from zhiyun.domain.responsibility import Case, Resolution, resolve, settle_by_named_units
from zhiyun.domain.routing import (
    CalibratedThreshold,
    Decision,
    RoutingFacts,
    Thresholds,
    category_code_for,
    decide,
)
from zhiyun.domain.taxonomy import Taxonomy
from zhiyun.domain.workorder import (
    Dispatch,
    OrderState,
    OrderStatus,
    OrderType,
    TransitionRecord,
    Urgency,
)
from zhiyun.orders.service import NewOrder, WorkOrderService
from zhiyun.reference.cache import ReferenceSnapshot
from zhiyun.routing.feedback import record_feedback_for
from zhiyun.routing.names import NameFinder
from zhiyun.store.tables import WorkOrderRow

SYSTEM_ACTOR = Actor.system("智能分拨")
TOP_K = 3
_STASH = "zhiyun.routing.predictions"


class Scored(Protocol):
    @property
    def label(self) -> str: ...
    @property
    def probability(self) -> float: ...


class Prediction(Protocol):
    @property
    def categories(self) -> Sequence[Scored]: ...
    @property
    def urgent(self) -> bool: ...
    @property
    def urgent_signals(self) -> Sequence[str]: ...


class Classifier(Protocol):
    def predict(self, title: str, content: str) -> Prediction: ...


# The active classifier; called with the registration's session (read through its connection).
ModelSource = Callable[[Session], "Classifier | None"]
# What a model's calibration gives for the target accuracy (None: the model has none, the fixed
# threshold applies); called with the registration's session and the model that predicted.
ThresholdSource = Callable[[Session, Classifier], CalibratedThreshold | None]


@dataclass(frozen=True)
class TextSuggestion:
    """Automatic dispatch's suggestion for a text: categories with units and reasons (best
    first, as `DispatchSuggestion.suggestions` stores them) and the urgency signals heard."""

    suggestions: tuple[dict[str, Any], ...]
    urgent_signals: tuple[str, ...]
    has_model: bool


@dataclass
class _Names:
    org: OrgTree
    finder: NameFinder


class AutoDispatcher:
    """The workflow hook that classifies, consults the responsibility list and dispatches."""

    def __init__(
        self,
        orders: WorkOrderService,
        model_source: ModelSource,
        lists: ListCache,
        *,
        thresholds: Thresholds | None = None,
        calibrated: ThresholdSource | None = None,
        enabled: bool = True,
    ) -> None:
        self.orders = orders
        self.model_source = model_source
        self.lists = lists
        self.thresholds = thresholds or Thresholds()  # the fixed one and the per-category ones
        self.calibrated = calibrated
        self.enabled = enabled
        self._names: _Names | None = None

    # -- the hook -------------------------------------------------------------------

    def before_register(
        self, session: Session, actor: Actor, new: NewOrder, now: datetime
    ) -> tuple[NewOrder, Mapping[str, Any]]:
        model = self.model_source(session) if self.enabled else None
        if model is None:
            return new, {}
        prediction = model.predict(new.title, new.content)
        given = new.category_code  # a category the registrant chose stands over the model's
        thresholds = self._thresholds_for(session, model)
        stash = session.info.setdefault(_STASH, {})
        stash[(new.title, new.content)] = (prediction, _version(model), given, thresholds)
        lists = self.lists.get(session)
        details: dict[str, Any] = {}
        top = _mapped(prediction, lists.taxonomy)[:1]
        if top:
            code, probability = top[0]
            details["classification"] = {"category_code": code, "confidence": round(probability, 4)}
            threshold = thresholds.for_category(code, lists.taxonomy)
            if new.category_code is None and threshold is not None and probability >= threshold:
                new = replace(new, category_code=code)
        if prediction.urgent and new.urgency is Urgency.NORMAL:
            signals = list(prediction.urgent_signals)
            new = replace(new, urgency=Urgency.URGENT)
            details["urgency_raised"] = {"signals": signals, "note": f"识别到紧急情形：{'、'.join(signals)}"}
        return new, details

    def after_register(
        self, session: Session, actor: Actor, row: WorkOrderRow, now: datetime, snap: ReferenceSnapshot
    ) -> OrderState | None:
        stash: dict[tuple[str, str], Any] = session.info.get(_STASH, {})
        predicted = stash.pop((row.title, row.content), None)
        prediction, version, given, thresholds = (
            predicted if predicted is not None else (None, None, None, self.thresholds)
        )
        if prediction is None and not row.category_code:
            return None  # nothing to go by
        lists = self.lists.get(session)
        candidates: list[tuple[str, float | None]] = []
        if prediction is None:
            if row.category_code is not None and row.category_code in lists.taxonomy:
                candidates = [(row.category_code, None)]
        else:
            mapped = _mapped(prediction, lists.taxonomy)
            if given is not None and given in lists.taxonomy:
                # the registrant's own category, with the model's other guesses behind it
                mapped = [(given, 1.0), *((c, p) for c, p in mapped if c != given)]
            candidates = list(mapped[:TOP_K])
        if not candidates:
            return None
        suggestions, resolutions = self._resolve(
            session,
            snap.org,
            candidates,
            title=row.title,
            content=row.content,
            area_unit_id=row.village_unit_id or row.town_unit_id,
            order_type=OrderType(row.order_type),
            urgent=row.urgency == Urgency.URGENT.value,
        )
        org = snap.org
        best_code, best_p = candidates[0]
        best = resolutions[0]
        threshold = thresholds.for_category(best_code, lists.taxonomy)
        target = best.unit_id
        facts = RoutingFacts(
            enabled=self.enabled,
            has_model=prediction is not None,
            possible_duplicate=bool(row.possible_duplicate),
            confidence=best_p,
            threshold=threshold,
            target_unit_id=target,
            center_unit_id=int(row.chain[0]) if row.chain else row.current_unit_id,
            pending_dispatch=row.status == OrderStatus.PENDING_DISPATCH,
        )
        decision = decide(facts, org)
        state: OrderState | None = None
        reason = best.reason
        if decision == Decision.AUTO and target is not None:
            note = _note(best_code, best_p, best, lists.taxonomy)
            try:
                state = self._dispatch(session, row, target, note, now, snap)
            except DomainError as exc:
                decision, reason = Decision.REFUSED, f"{best.reason}；{exc.message}"
        session.add(
            DispatchSuggestionRow(
                order_id=row.id,
                model_version=version,
                category_code=best_code,
                confidence=best_p,
                threshold=threshold if prediction is not None else None,
                suggestions=suggestions,
                outcome=best.outcome.value,
                rule_id=best.rule.id if best.rule is not None else None,
                reason=reason,
                target_unit_id=target,
                applied=state is not None,
                decision=decision,
                urgent_signals=list(prediction.urgent_signals) if prediction is not None else [],
                created_at=now,
            )
        )
        return state

    def after_act(
        self,
        session: Session,
        actor: Actor,
        row: WorkOrderRow,
        before: OrderState,
        record: TransitionRecord,
        now: datetime,
    ) -> None:
        record_feedback_for(session, actor, row, before, record, now)

    # -- helpers --------------------------------------------------------------------

    def _thresholds_for(self, session: Session, model: Classifier) -> Thresholds:
        """The thresholds for `model`: its calibrated one for the target accuracy when it has a
        calibration (none when the target is out of reach), else the fixed one; the
        per-category thresholds of the settings stay either way."""
        found = self.calibrated(session, model) if self.calibrated is not None else None
        return self.thresholds.calibrated(found)

    def _dispatch(
        self,
        session: Session,
        row: WorkOrderRow,
        target: int,
        note: str,
        now: datetime,
        snap: ReferenceSnapshot,
    ) -> OrderState:
        command = Dispatch(target_unit_id=target, note=note)
        return self.orders.act_in(session, SYSTEM_ACTOR, row, command, now, snap=snap)

    def suggest(
        self,
        session: Session,
        org: OrgTree,
        *,
        title: str,
        content: str,
        area_unit_id: int | None,
        order_type: OrderType,
        urgent: bool,
    ) -> TextSuggestion:
        """What automatic dispatch would suggest for a text not yet registered (the seat shows
        it while the agent types): the top three categories with their confidences, each with
        the unit the responsibility list names and why, and the urgency signals it heard. The
        active model is asked whether or not automatic dispatch is on; without one: nothing."""
        model = self.model_source(session)
        if model is None:
            return TextSuggestion((), (), has_model=False)
        prediction = model.predict(title, content)
        candidates = _mapped(prediction, self.lists.get(session).taxonomy)[:TOP_K]
        suggestions, _ = self._resolve(
            session,
            org,
            list(candidates),
            title=title,
            content=content,
            area_unit_id=area_unit_id,
            order_type=order_type,
            urgent=urgent,
        )
        return TextSuggestion(tuple(suggestions), tuple(prediction.urgent_signals), has_model=True)

    def _resolve(
        self,
        session: Session,
        org: OrgTree,
        candidates: list[tuple[str, float | None]],
        *,
        title: str,
        content: str,
        area_unit_id: int | None,
        order_type: OrderType,
        urgent: bool,
    ) -> tuple[list[dict[str, Any]], list[Resolution]]:
        """Each candidate category through the responsibility list, in the order's area (or
        the area its text names), with the units the text names settling ties."""
        lists = self.lists.get(session)
        text = f"{title} {content}"
        named = self._finder(org).find(text)
        case = Case(
            category_code=None,
            area_unit_id=area_unit_id or named.place.unit_id,
            text=text,
            order_type=order_type,
            urgent=urgent,
        )
        suggestions: list[dict[str, Any]] = []
        resolutions: list[Resolution] = []
        for code, probability in candidates:
            res = settle_by_named_units(
                resolve(lists.rules, replace(case, category_code=code), org, lists.taxonomy), named.units
            )
            resolutions.append(res)
            suggestions.append(_suggestion_json(code, probability, res, org, lists))
        return suggestions, resolutions

    def install(self) -> AutoDispatcher:
        """Hang the hook on the order service (once)."""
        if self not in self.orders.hooks:
            self.orders.hooks.append(self)
        return self

    def _finder(self, org: OrgTree) -> NameFinder:
        names = self._names
        if names is None or names.org is not org:
            names = _Names(org, NameFinder(org))
            self._names = names
        return names.finder


def _version(model: Any) -> str | None:
    version = getattr(model, "version", None)
    return None if version is None else str(version)[:64]


def _mapped(prediction: Prediction, taxonomy: Taxonomy) -> list[tuple[str, float]]:
    """The predicted categories as taxonomy codes with their probabilities, best first."""
    result: list[tuple[str, float]] = []
    for scored in prediction.categories:
        code = category_code_for(scored.label, taxonomy)
        if code is not None and code not in (c for c, _ in result):
            result.append((code, float(scored.probability)))
    return result


def _suggestion_json(
    code: str | None, probability: float | None, res: Resolution, org: OrgTree, lists: Lists
) -> dict[str, Any]:
    unit = org.units.get(res.unit_id) if res.unit_id is not None else None
    return {
        "category_code": code,
        "category_name": lists.taxonomy.path_names(code)
        if code is not None and code in lists.taxonomy
        else None,
        "confidence": None if probability is None else round(probability, 4),
        "unit_id": res.unit_id,
        "unit_name": unit.name if unit else None,
        "outcome": res.outcome.value,
        "rule_id": res.rule.id if res.rule is not None else None,
        "reason": res.reason,
    }


def _note(code: str | None, probability: float | None, res: Resolution, taxonomy: Taxonomy) -> str:
    name = taxonomy.path_names(code) if code is not None and code in taxonomy else "未分类"
    confidence = "" if probability is None else f"（置信度 {probability:.2f}）"
    return f"智能分拨：{name}{confidence}；{res.reason}"


__all__ = [
    "SYSTEM_ACTOR",
    "AutoDispatcher",
    "Classifier",
    "ModelSource",
    "Prediction",
    "TextSuggestion",
    "ThresholdSource",
]
