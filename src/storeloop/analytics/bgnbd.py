"""BG/NBD: customers buy at their own Poisson rate until they silently drop out.

Fader, Hardie & Lee (2005), "Counting your customers the easy way". Purchase rates are
Gamma(r, α) across customers and, after each repeat purchase, a customer drops out with a
probability that is Beta(a, b) across customers. The model only needs each customer's
(frequency x, recency t_x, age T), so it is fitted on those summaries, never on transactions.

The fit is plain maximum likelihood on log-parameters (so every step stays positive) with the
analytic gradient. Terms that depend on x alone are evaluated once per distinct x — there are a
few hundred even among millions of customers — which is what makes a million-customer fit a
matter of seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import digamma, expit, gammaln, hyp2f1

from storeloop.analytics.mle import LOG_PARAM_LIMIT, Weighted, maximise


@dataclass(frozen=True, slots=True)
class BgNbd:
    r: float
    alpha: float
    a: float
    b: float
    loglik: float
    """Total log-likelihood over all customers (CDNOW: −9582.4 in the paper)."""

    def probability_alive(self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> NDArray:
        """P(still active at T | x, t_x, T); a customer with no repeat purchase is certainly alive
        under this model, because dropout can only happen right after a repeat purchase."""
        x, t_x, age = _arrays(frequency, recency, T)
        return np.where(x > 0, expit(-self._log_dropout_odds(x, t_x, age)), 1.0)

    def expected_purchases(
        self, horizon: float, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> NDArray:
        """E[purchases in (T, T + horizon] | x, t_x, T], equation (10) of the paper."""
        x, t_x, age = _arrays(frequency, recency, T)
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        c = a + b + x - 1
        z = horizon / (alpha + age + horizon)
        log_shrink = (r + x) * np.log((alpha + age) / (alpha + age + horizon))
        with np.errstate(over="ignore", invalid="ignore"):
            series = hyp2f1(r + x, b + x, c, z) * np.exp(log_shrink)
            # Euler's transformation where the series overflows for customers with many
            # purchases. Signs are kept: with a + b + x < 1 the series is negative.
            euler = hyp2f1(c - r - x, c - b - x, c, z) * np.exp(
                (c - (r + x) - (b + x)) * np.log1p(-z) + log_shrink
            )
        growth = 1 - np.where(np.isfinite(series), series, euler)
        numerator = (a + b + x - 1) / (a - 1) * growth
        dropout_odds = np.where(x > 0, np.exp(self._log_dropout_odds(x, t_x, age)), 0.0)
        return numerator / (1 + dropout_odds)

    def _log_dropout_odds(self, x: NDArray, t_x: NDArray, age: NDArray) -> NDArray:
        """log of a/(b+x−1)·((α+T)/(α+t_x))^(r+x): the odds of having dropped out, for x > 0."""
        safe_x = np.maximum(x, 1)
        return (
            np.log(self.a)
            - np.log(self.b + safe_x - 1)
            + (self.r + x) * (np.log(self.alpha + age) - np.log(self.alpha + t_x))
        )


def fit_bgnbd(
    frequency: ArrayLike, recency: ArrayLike, T: ArrayLike, customers: ArrayLike | None = None
) -> BgNbd:
    """Maximum-likelihood BG/NBD. ``customers`` counts identical summary rows (default 1 each)."""
    x, t_x, age = _arrays(frequency, recency, T)
    data = _Summaries.of(x, t_x, age, customers)

    def negative(log_params: NDArray) -> tuple[float, NDArray]:
        value, gradient = _loglik(log_params, data)
        return -value, -gradient

    log_params, loglik = maximise("BG/NBD", 4, negative, total_weight=data.by_x.total)
    if max(log_params[0], log_params[1]) > LOG_PARAM_LIMIT:
        # r, α → ∞ with r/α fixed is one purchase rate for everybody: the likelihood rises along
        # that ridge for ever, and the hypergeometric terms of the predictions stop being finite.
        # The other limits (a → 0: nobody drops out) still predict, so they are accepted.
        raise ValueError(
            "BG/NBD: purchase rates do not differ enough between customers to estimate r and α "
            "(both run off to infinity); more customers or a longer period are needed"
        )
    r, alpha, a, b = np.exp(log_params)
    return BgNbd(float(r), float(alpha), float(a), float(b), loglik)


@dataclass(frozen=True, slots=True)
class _Summaries:
    """Customers without a repeat purchase (whose likelihood needs only T) kept apart from the
    others, and everything that does not depend on the parameters computed once."""

    by_x: Weighted
    once_age: NDArray
    once_weights: NDArray
    x: NDArray
    t_x: NDArray
    age: NDArray
    weights: NDArray
    distinct_index: NDArray
    """Position of each repeat customer's x in ``by_x.distinct``."""

    @classmethod
    def of(cls, x: NDArray, t_x: NDArray, age: NDArray, customers: ArrayLike | None) -> _Summaries:
        by_x = Weighted.of(x, customers)
        repeat = x > 0
        if not np.any(repeat):
            raise ValueError("BG/NBD needs at least one customer with a repeat purchase")
        return cls(
            by_x=by_x,
            once_age=age[~repeat],
            once_weights=by_x.weights[~repeat],
            x=x[repeat],
            t_x=t_x[repeat],
            age=age[repeat],
            weights=by_x.weights[repeat],
            distinct_index=np.searchsorted(by_x.distinct, x[repeat]),
        )


def _loglik(log_params: NDArray, data: _Summaries) -> tuple[float, NDArray]:
    """Total log-likelihood and its gradient with respect to the log-parameters."""
    r, alpha, a, b = np.exp(log_params)
    # Terms of x alone, per distinct x: ln Γ(r+x)/Γ(r) + r ln α + ln B(a, b+x)/B(a, b).
    ux, wx = data.by_x.distinct, data.by_x.distinct_weights
    value = wx @ (
        gammaln(r + ux)
        - gammaln(r)
        + gammaln(a + b)
        + gammaln(b + ux)
        - gammaln(b)
        - gammaln(a + b + ux)
    ) + data.by_x.total * r * np.log(alpha)
    d_r = wx @ (digamma(r + ux) - digamma(r)) + data.by_x.total * np.log(alpha)
    d_alpha = data.by_x.total * r / alpha
    d_a = wx @ (digamma(a + b) - digamma(a + b + ux))
    d_b = d_a + wx @ (digamma(b + ux) - digamma(b))

    # No repeat purchase: ln (α+T)^−r.
    log_once = np.log(alpha + data.once_age)
    value -= r * (data.once_weights @ log_once)
    d_r -= data.once_weights @ log_once
    d_alpha -= r * (data.once_weights @ (1 / (alpha + data.once_age)))

    # Repeat purchases: ln[(α+T)^−(r+x) + a/(b+x−1)·(α+t_x)^−(r+x)], written as the first term
    # plus softplus of the log-odds of having dropped out after the last purchase.
    w, x = data.weights, data.x
    log_age = np.log(alpha + data.age)
    log_last = np.log(alpha + data.t_x)
    log_b_x = np.log(b + np.maximum(ux, 1) - 1)[data.distinct_index]
    shape = r + x
    log_odds = np.log(a) - log_b_x + shape * (log_age - log_last)
    p_dropped = expit(log_odds)
    value += w @ (np.logaddexp(0.0, log_odds) - shape * log_age)
    d_r -= w @ (log_age - p_dropped * (log_age - log_last))
    d_alpha -= w @ (shape * ((1 - p_dropped) / (alpha + data.age) + p_dropped / (alpha + data.t_x)))
    d_a += (w @ p_dropped) / a
    d_b -= w @ (p_dropped / (b + x - 1))
    gradient = np.array([d_r, d_alpha, d_a, d_b]) * np.array([r, alpha, a, b])
    return float(value), gradient


def _arrays(*values: ArrayLike) -> tuple[NDArray, ...]:
    return tuple(np.asarray(value, dtype=np.float64) for value in values)
