"""Bayesian matrix factorisation with biases, fitted by Gibbs sampling (BPMF, Salakhutdinov &
Mnih 2008, with a bias column on each side).

Model: ``r_ui ~ N(mu + b_u + b_i + p_u·q_i, 1/α)``. Each user's ``(b_u, p_u)`` and each film's
``(b_i, q_i)`` has a Gaussian prior whose mean and precision carry a Normal-Wishart hyper-prior
(one for users, one for films); ``α`` has a Gamma prior. A sweep draws every user given the
films, every film given the users, the hyper-parameters and ``α``. The prediction is the mean of
the predictions of the kept samples (after ``burn_in`` sweeps), which is itself one factor model:
biases averaged, factors of the samples concatenated and scaled by 1/√S
(:meth:`core.cf.factors.FactorModel.average`), so serving, saving and fold-in are unchanged.

Averaging over the posterior instead of stopping at one point estimate is what makes it beat
SGD-trained factor models on small rating sets (no learning rate, no early stopping; the
regularisation is learned from the data).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from core.cf.factors import FactorModel
from core.progress import ProgressFn, null_progress


def fit_bayes_mf(ratings: pd.DataFrame, n_factors: int = 10, n_samples: int = 200, burn_in: int = 40,
                 thin: int = 2, seed: int = 0, rating_scale: tuple[float, float] | None = None,
                 noise_sd: float | None = None, user_noise_prior: float | None = None,
                 user_features: pd.DataFrame | None = None, item_features: pd.DataFrame | None = None,
                 side_prior: float = 10.0, progress: ProgressFn | None = None) -> FactorModel:
    """Gibbs-sample a biased BPMF on ``ratings`` (user_id, movie_id, rating); the posterior-mean
    predictor over the samples kept after ``burn_in`` (every ``thin``-th) as one FactorModel.

    ``noise_sd`` fixes the rating noise (precision α = 1/noise_sd², as in the BPMF paper, which
    fixes α = 2); ``None`` samples α from its Gamma posterior every sweep. Sampled, the noise on
    ML-100K keeps shrinking as the chain runs (sd 0.91 after 10 sweeps, 0.79 after 100, 0.78
    after 200) and later samples predict worse (on fold 1's inner validation split of ML-100K the
    mean of sweeps 20-200 scores 0.9021, of 20-300 0.9033); fixed at 0.85 the chain improves with
    its length (20-200: 0.9011, 20-300: 0.9006).

    ``user_noise_prior`` (needs ``noise_sd``) gives each user their own noise precision τ_u with a
    Gamma prior of that many pseudo-ratings centred on 1/noise_sd², drawn every sweep from the
    user's residuals: a user whose ratings the factors explain poorly is fitted more loosely
    (heteroscedastic noise, as in robust Bayesian MF).

    ``user_features`` / ``item_features`` (side information, indexed by user_id / movie_id, one
    numeric column per feature) make each row's prior mean ``m + Bᵀx`` instead of ``m`` (BPMF with
    side information, Porteous et al. 2010; Macau): the link matrix B has a matrix-normal prior
    (row precision ``side_prior``, column precision the side's Λ) and is drawn every sweep from
    the rows given the features. An entity absent from the table (or with all-zero features) keeps
    the plain prior mean. Only the training posterior changes: the result is the same FactorModel."""
    progress = progress or null_progress
    rng = np.random.default_rng(seed)
    user_codes, users = pd.factorize(ratings["user_id"].to_numpy())
    item_codes, items = pd.factorize(ratings["movie_id"].to_numpy())
    values = ratings["rating"].to_numpy(dtype=float)
    scale = rating_scale or (float(values.min()), float(values.max()))
    mu = float(values.mean())
    residual = values - mu
    n_users, n_items, d = len(users), len(items), n_factors + 1
    by_user = _Groups(user_codes, item_codes, residual, n_users)
    by_item = _Groups(item_codes, user_codes, residual, n_items)
    # state: user rows (b_u, p_u), item rows (b_i, q_i)
    U = np.hstack([np.zeros((n_users, 1)), 0.1 * rng.standard_normal((n_users, n_factors))])
    V = np.hstack([np.zeros((n_items, 1)), 0.1 * rng.standard_normal((n_items, n_factors))])
    alpha = 2.0 if noise_sd is None else 1.0 / float(noise_sd) ** 2
    tau = None
    if user_noise_prior is not None:
        if noise_sd is None:
            raise ValueError("user_noise_prior needs noise_sd (the prior's centre)")
        tau, user_n = np.full(n_users, alpha), np.bincount(user_codes, minlength=n_users)
    Xu = _features(user_features, users)
    Xv = _features(item_features, items)
    Bu = None if Xu is None else np.zeros((Xu.shape[1], d))
    Bv = None if Xv is None else np.zeros((Xv.shape[1], d))
    link_u = None if Xu is None else _Link(Xu, side_prior)
    link_v = None if Xv is None else _Link(Xv, side_prior)
    kept: list[FactorModel] = []
    for sweep in range(n_samples):
        by_rating = None if tau is None else tau[user_codes]
        U, Bu = _half_sweep(U, by_user, V, Xu, link_u, Bu, alpha, rng,
                            None if tau is None else by_rating[by_user.order])
        V, Bv = _half_sweep(V, by_item, U, Xv, link_v, Bv, alpha, rng,
                            None if tau is None else by_rating[by_item.order])
        if tau is not None:
            sse_u = np.bincount(user_codes, (residual - _predict(U, V, user_codes, item_codes)) ** 2, minlength=n_users)
            tau = rng.gamma(user_noise_prior + user_n / 2.0, 1.0 / (user_noise_prior / alpha + sse_u / 2.0))
        elif noise_sd is None:
            predicted = _predict(U, V, user_codes, item_codes)
            sse = float(((residual - predicted) ** 2).sum())
            alpha = rng.gamma(1.0 + len(values) / 2.0, 1.0 / (1.0 + sse / 2.0))
        if sweep >= burn_in and (sweep - burn_in) % thin == 0:
            kept.append(FactorModel(mu=mu, bu=U[:, 0].copy(), bi=V[:, 0].copy(), pu=U[:, 1:].copy(),
                                    qi=V[:, 1:].copy(), user_ids=users, item_ids=items, rating_scale=scale))
        progress(sweep + 1, n_samples, f"Gibbs sweep {sweep + 1}/{n_samples}, noise sd {alpha ** -0.5:.3f}")
    return FactorModel.average(kept)


def _half_sweep(rows: np.ndarray, groups: "_Groups", other: np.ndarray, X: np.ndarray | None,
                link: "_Link | None", B: np.ndarray | None, alpha: float, rng: np.random.Generator,
                precisions: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    """One side's half of a Gibbs sweep: its hyper-parameters given the rows less their side-information
    offset, then its link matrix B (when it has side information), then its rows given the other side.
    Returns the new rows and B."""
    offset = 0.0 if B is None else X @ B
    mean, lam = _sample_hyper(rows - offset, rng)
    if B is not None:
        B = link.sample(rows - mean, lam, rng)
        offset = X @ B
    return _sample_side(groups, other, mean + offset, lam, alpha, rng, precisions), B


def _features(table: pd.DataFrame | None, ids) -> np.ndarray | None:
    """The side-information rows of ``ids`` (0 for an id absent from ``table``), or None."""
    if table is None or table.shape[1] == 0:
        return None
    values = table.reindex(pd.Index(ids)).to_numpy(dtype=float)
    return np.ascontiguousarray(np.nan_to_num(values, nan=0.0))  # row-major: XᵀX is ~1000x slower on a column-major copy


class _Link:
    """The regression of one side's rows on its features, ``R = X B + E`` (rows of E ~ N(0, Λ⁻¹)),
    prior B ~ MN(0, (prior·I)⁻¹, Λ⁻¹): posterior MN(M, A⁻¹, Λ⁻¹), A = XᵀX + prior·I,
    M = A⁻¹XᵀR. A does not change between sweeps: factorised once."""

    def __init__(self, X: np.ndarray, prior: float):
        A = X.T @ X + prior * np.eye(X.shape[1])
        self.chol = np.linalg.cholesky(A)                 # A = L Lᵀ
        self.projection = np.linalg.solve(A, X.T)         # A⁻¹Xᵀ (f × n)

    def sample(self, R: np.ndarray, lam: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        M = self.projection @ R
        Z = rng.standard_normal(M.shape)
        # row covariance A⁻¹ = L⁻ᵀL⁻¹, column covariance Λ⁻¹ = L_Λ⁻ᵀL_Λ⁻¹
        left = np.linalg.solve(self.chol.T, Z)
        return M + np.linalg.solve(np.linalg.cholesky(lam).T, left.T).T


def _sample_link(X: np.ndarray, R: np.ndarray, lam: np.ndarray, prior: float,
                 rng: np.random.Generator) -> np.ndarray:
    """One draw of B given the rows R (see :class:`_Link`)."""
    return _Link(X, prior).sample(R, lam, rng)


class _Groups:
    """Ratings grouped by one side: for entity e, the other side's codes and the residual targets."""

    def __init__(self, codes: np.ndarray, others: np.ndarray, targets: np.ndarray, n: int):
        order = np.argsort(codes, kind="stable")
        self.order = order
        self.others, self.targets = others[order], targets[order]
        self.bounds = np.searchsorted(codes[order], np.arange(n + 1))
        self.n = n


def _predict(U, V, user_codes, item_codes) -> np.ndarray:
    """b_u + b_i + p_u·q_i for every rating (without mu)."""
    return U[user_codes, 0] + V[item_codes, 0] + np.einsum("nk,nk->n", U[user_codes, 1:], V[item_codes, 1:])


def _sample_side(groups: _Groups, other: np.ndarray, prior_mean: np.ndarray, prior_prec: np.ndarray,
                 alpha: float, rng: np.random.Generator, weights: np.ndarray | None = None) -> np.ndarray:
    """Draw every row (bias, factors) of one side given the other side's rows.

    For entity e with ratings against rows j: design x_j = (1, f_j) where f_j are the other
    side's factors, target t = r − mu − b_j; posterior precision Λ + α Σ x xᵀ, mean
    Σ⁻¹(Λ m + α Σ x t). ``weights`` (one noise precision per rating, in group order) replace α."""
    d = other.shape[1]
    design = np.hstack([np.ones((len(other), 1)), other[:, 1:]])  # (n_other, d)
    n = groups.n
    gram = np.empty((n, d, d))
    rhs = np.empty((n, d))
    x_all = design[groups.others]
    t_all = groups.targets - other[groups.others, 0]
    for e in range(n):
        s, t = groups.bounds[e], groups.bounds[e + 1]
        x = x_all[s:t]
        if weights is None:
            gram[e] = x.T @ x
            rhs[e] = x.T @ t_all[s:t]
        else:
            gram[e] = (x * weights[s:t, None]).T @ x
            rhs[e] = x.T @ (weights[s:t] * t_all[s:t])
    if weights is not None:
        alpha = 1.0
    precision = prior_prec[None] + alpha * gram
    b = np.atleast_2d(prior_mean) @ prior_prec.T + alpha * rhs  # one prior mean, or one per row
    chol = np.linalg.cholesky(precision)                                   # Λ* = L Lᵀ
    mean = np.linalg.solve(precision, b[..., None])[..., 0]
    noise = np.linalg.solve(np.swapaxes(chol, 1, 2), rng.standard_normal((n, d))[..., None])[..., 0]  # L⁻ᵀ z
    return mean + noise


def _sample_hyper(X: np.ndarray, rng: np.random.Generator, beta0: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """Normal-Wishart draw of (mean, precision) of the rows of X (prior mean 0, W0 = I, ν0 = d)."""
    from scipy.stats import wishart

    n, d = X.shape
    xbar = X.mean(axis=0)
    centred = X - xbar
    scatter = centred.T @ centred
    beta, nu = beta0 + n, d + n
    mean_post = n * xbar / beta
    w_inv = np.eye(d) + scatter + (beta0 * n / beta) * np.outer(xbar, xbar)
    w = np.linalg.inv(w_inv)
    w = (w + w.T) / 2.0
    precision = wishart.rvs(df=nu, scale=w, random_state=rng)
    precision = np.atleast_2d(precision)
    cov = np.linalg.inv(beta * precision)
    mean = rng.multivariate_normal(mean_post, (cov + cov.T) / 2.0)
    return mean, precision
