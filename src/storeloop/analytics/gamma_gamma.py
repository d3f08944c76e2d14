"""Gamma-Gamma: how much a customer spends per purchase, shrunk towards the population.

Fader, Hardie & Lee (2005), "RFM and CLV: using iso-value curves for customer base analysis",
in Hardie's note "The Gamma-Gamma model of monetary value". A customer's purchase amounts are
Gamma(p, ν) with ν ~ Gamma(q, γ) across customers (γ is written v here, as in lifetimes). Only
repeat purchases enter: a customer's first order is often atypical (a welcome discount, a trial),
so the summaries leave it out, and customers without a repeat purchase carry no information.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import digamma, gammaln

from storeloop.analytics.mle import LOG_PARAM_LIMIT, Weighted, dot, maximise


@dataclass(frozen=True, slots=True)
class GammaGamma:
    p: float
    q: float
    v: float
    loglik: float

    def expected_average_spend(self, frequency: ArrayLike, monetary_value: ArrayLike) -> NDArray:
        """E[spend per purchase | x, m]: a weighted mean of the population mean p·v/(q−1) and the
        customer's own mean m, the weight on m growing with the number of repeat purchases x."""
        if self.q <= 1:
            raise ValueError(f"Gamma-Gamma q={self.q:.4g} ≤ 1: spend per purchase has no mean")
        x = np.asarray(frequency, dtype=np.float64)
        m = np.where(x > 0, np.asarray(monetary_value, dtype=np.float64), 0.0)
        return (self.p * self.v + self.p * x * m) / (self.p * x + self.q - 1)


def fit_gamma_gamma(
    frequency: ArrayLike, monetary_value: ArrayLike, customers: ArrayLike | None = None
) -> GammaGamma:
    """Maximum-likelihood Gamma-Gamma on customers with repeat purchases and positive spend."""
    x = np.asarray(frequency, dtype=np.float64)
    m = np.asarray(monetary_value, dtype=np.float64)
    weights = np.ones_like(x) if customers is None else np.asarray(customers, dtype=np.float64)
    usable = (x > 0) & (m > 0)
    if not np.any(usable):
        raise ValueError("Gamma-Gamma needs at least one customer with a paid repeat purchase")
    x, m, weights = x[usable], m[usable], weights[usable]
    data = Weighted.of(x, weights)
    # Sums that do not depend on the parameters, computed once. Per evaluation only ln(xm + v)
    # and 1/(xm + v) are computed per row; (px + q)·… is split into p·Σwx·… + q·Σw·….
    log_m, log_x = np.log(m), np.log(x)
    sum_w_log_m = dot(weights, log_m)
    sum_wx_log_mx = dot(weights, x * (log_m + log_x))
    spent, weighted_x = x * m, weights * x

    def negative(log_params: NDArray) -> tuple[float, NDArray]:
        p, q, v = np.exp(log_params)
        ux, wx = data.distinct, data.distinct_weights
        log_total = np.log(spent + v)
        inverse = 1 / (spent + v)
        wx_log, w_log = dot(weighted_x, log_total), dot(weights, log_total)
        value = (
            wx @ (gammaln(p * ux + q) - gammaln(p * ux))
            - data.total * (gammaln(q) - q * np.log(v))
            + p * sum_wx_log_mx
            - sum_w_log_m
            - (p * wx_log + q * w_log)
        )
        psi_total = digamma(p * ux + q)
        d_p = wx @ (ux * (psi_total - digamma(p * ux))) + sum_wx_log_mx - wx_log
        d_q = wx @ psi_total - data.total * (digamma(q) - np.log(v)) - w_log
        d_v = data.total * q / v - (p * dot(weighted_x, inverse) + q * dot(weights, inverse))
        gradient = np.array([d_p, d_q, d_v]) * np.array([p, q, v])
        return -float(value), -gradient

    # v is on the scale of the amounts: starting it at their mean rather than at 1 saves the
    # search a third of its likelihood evaluations (p and q are dimensionless and start at 1).
    start = np.array([0.0, 0.0, np.log(np.average(m, weights=weights))])
    log_params, loglik = maximise("Gamma-Gamma", 3, negative, total_weight=data.total, start=start)
    if np.max(np.abs(log_params)) > LOG_PARAM_LIMIT:
        # The likelihood still rises towards a limit of the model (e.g. no spread in spend per
        # purchase); whether the optimiser stops there on its own or at the search bound depends
        # on rounding, so a parameter beyond the limit is refused either way.
        raise ValueError(
            "Gamma-Gamma maximum likelihood did not converge: the likelihood rises towards "
            "infinite parameters (spend per purchase barely varies between customers)"
        )
    p, q, v = np.exp(log_params)
    return GammaGamma(float(p), float(q), float(v), loglik)
