"""Shared machinery for the maximum-likelihood fits of the CLV models."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize

LOG_PARAM_BOUND = 30.0
"""The search stays within e^±30, so a run-away line search cannot overflow the Γ functions."""
LOG_PARAM_LIMIT = 15.0
"""A fitted parameter beyond e^±15 (3·10⁶) sits on a limit of the model, not at an interior
maximum; each model decides which of its limits it can still predict from."""


def dot(left: NDArray, right: NDArray) -> float:
    """Σ left·right without BLAS.

    NumPy's ``@`` hands long vectors to OpenBLAS, which splits them over threads that spin
    while they wait. On a machine whose cores are busy (two here, shared with DuckDB's own
    threads) that made a Gamma-Gamma fit 40× slower than this single-threaded sum.
    """
    return float(np.einsum("i,i->", left, right))


@dataclass(frozen=True, slots=True)
class Weighted:
    """Per-row counts ``x`` with weights, plus the distinct x values and their total weights.

    Model terms that depend on x alone are computed once per distinct x instead of per customer.
    """

    values: NDArray
    weights: NDArray
    distinct: NDArray
    distinct_weights: NDArray
    total: float

    @classmethod
    def of(cls, x: NDArray, weights: ArrayLike | None) -> Weighted:
        w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=np.float64)
        if w.shape != x.shape:
            raise ValueError("weights must have one entry per summary row")
        distinct, inverse = np.unique(x, return_inverse=True)
        distinct_weights = np.bincount(inverse, weights=w, minlength=distinct.size)
        return cls(x, w, distinct, distinct_weights, float(w.sum()))


def maximise(
    model: str,
    parameters: int,
    negative_loglik: Callable[[NDArray], tuple[float, NDArray]],
    total_weight: float,
    start: NDArray | None = None,
) -> tuple[NDArray, float]:
    """Minimise the per-customer negative log-likelihood from ``start`` (log-parameters; all
    parameters at 1 by default); return the log-parameters and the total log-likelihood.

    Scaling by the number of customers keeps the tolerances meaningful at any size. A fit is
    accepted when the likelihood stops rising, or when its gradient vanishes even though the
    line search then stalled on rounding.
    """

    def scaled(log_params: NDArray) -> tuple[float, NDArray]:
        value, gradient = negative_loglik(log_params)
        return value / total_weight, gradient / total_weight

    result = minimize(
        scaled,
        np.zeros(parameters) if start is None else np.asarray(start, dtype=np.float64),
        jac=True,
        method="L-BFGS-B",
        bounds=[(-LOG_PARAM_BOUND, LOG_PARAM_BOUND)] * parameters,
        options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 1000},
    )
    # A search running off towards a limit of the model may stop "abnormally" on rounding; that
    # is the model's verdict to give (each refuses or accepts its own limits), not a failure here.
    at_limit = np.max(np.abs(result.x)) > LOG_PARAM_LIMIT
    if not result.success and not at_limit and np.max(np.abs(result.jac)) > 1e-5:
        raise ValueError(f"{model} maximum likelihood did not converge: {result.message}")
    return result.x, -float(result.fun) * total_weight
