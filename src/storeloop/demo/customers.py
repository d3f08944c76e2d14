"""Customers: where they live, who they are, how they came, and their hidden buying habits.

The hidden part is a heterogeneous "buy till you die" process (BG/NBD): each customer has a
purchase rate λ ~ Gamma and a probability p ~ Beta of dropping out after each purchase. A CLV
model fitted to the generated orders should therefore find real structure, and personas
(region × age band × spending level, S1.4c) shift both λ and what is bought.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from storeloop.demo import columns
from storeloop.demo.catalog_data import AGE_BANDS
from storeloop.demo.geography import CLIMATES, PROVINCES, REGIONS
from storeloop.demo.randomness import choose, choose_rows, stream
from storeloop.demo.seasonality import DAY_US, Calendar, sample_times
from storeloop.events.models import CHANNELS

ACQUISITION_CHANNELS: tuple[str, ...] = (*CHANNELS, "referral")
_ACQUISITION_SHARE = {
    "search": 0.22,
    "recommend": 0.20,
    "social": 0.18,
    "ads": 0.12,
    "direct": 0.10,
    "private": 0.06,
    "live": 0.12,
}
GENDERS: tuple[str, ...] = ("F", "M")
SPEND_LEVELS: tuple[str, ...] = ("low", "mid", "high")
_AGE_SHARE = np.array([0.17, 0.22, 0.2, 0.22, 0.12, 0.07])
_AGE_SPAN = np.array([(18, 25), (25, 30), (30, 35), (35, 45), (45, 55), (55, 72)])
_HIGH_SPEND_BY_AGE = np.array([0.5, 0.8, 1.1, 1.3, 1.2, 0.9])
_LOW_SPEND_BY_AGE = np.array([1.5, 1.1, 0.9, 0.8, 0.9, 1.1])
_PET_OWNER_BY_AGE = np.array([0.22, 0.33, 0.34, 0.28, 0.22, 0.18])
# Primary device (DEVICES: ios, android, mini_program, pc) per age band: older shoppers live in
# WeChat mini-programs and Android, students on iPhones.
_DEVICE_BY_AGE = np.array(
    [
        [0.45, 0.35, 0.15, 0.05],
        [0.42, 0.36, 0.15, 0.07],
        [0.38, 0.38, 0.16, 0.08],
        [0.30, 0.42, 0.20, 0.08],
        [0.20, 0.45, 0.28, 0.07],
        [0.12, 0.45, 0.38, 0.05],
    ]
)
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程"
)
_GIVEN = "伟芳娜秀英敏静丽强磊洋艳勇军杰娟涛明超霞平刚桂玉兰华红梅琳欣怡子轩浩宇晨雨萱思佳博文婷"
_PHONE_PREFIXES = ("135", "136", "137", "138", "139", "150", "152", "158", "159", "177")
_PHONE_PREFIXES += ("182", "186", "187", "188", "189", "199")

# BG/NBD population: λ per day ~ Gamma(r, 1/α); dropout after each purchase p ~ Beta(a, b).
GAMMA_SHAPE_R = 0.9
GAMMA_RATE_ALPHA = 46.0
BETA_A = 1.2
BETA_B = 3.0
_SPEND_RATE = np.array([0.85, 1.0, 1.25])
_PET_RATE = 1.5
EXISTING_SHARE = 0.4
PRIOR_DAYS = 365
_REFERRED_SHARE = 0.12
_ADVOCATE_SHARE = 0.15


@dataclass(frozen=True)
class Customers:
    table: pa.Table
    signup_us: np.ndarray  # sorted: customer ids are given in sign-up order
    province: np.ndarray
    climate: np.ndarray
    age_band: np.ndarray
    gender: np.ndarray  # 0 F, 1 M, 2 unknown
    spend: np.ndarray  # index into SPEND_LEVELS
    pet_owner: np.ndarray
    device: np.ndarray  # primary device, index into DEVICES
    channel: np.ndarray  # index into ACQUISITION_CHANNELS
    purchase_rate: np.ndarray  # λ, purchases per day while active
    dropout: np.ndarray  # p, probability of never buying again after a purchase

    @property
    def count(self) -> int:
        return len(self.signup_us)

    @property
    def persona(self) -> np.ndarray:
        """Persona index 0..PERSONAS-1 from age band, gender, pet ownership and spending level."""
        return ((self.age_band * 3 + self.gender) * 2 + self.pet_owner) * 3 + self.spend


PERSONAS = len(AGE_BANDS) * 3 * 2 * len(SPEND_LEVELS)


def _signup_days(rng: np.random.Generator, calendar: Calendar, n: int) -> np.ndarray:
    """A growing brand with a base: some customers joined in the year before the history (day
    numbers below 0, their earlier orders are outside the export), the rest sign up at a rising
    rate that jumps with festival traffic."""
    existing = rng.random(n) < EXISTING_SHARE
    growth = np.linspace(0.6, 1.4, calendar.days) * calendar.order_intensity**0.6
    days = choose(rng, growth, n)
    days[existing] = rng.integers(-PRIOR_DAYS, 0, int(existing.sum()))
    return days


def _names(rng: np.random.Generator, n: int) -> pa.Array:
    surname = columns.labels(list(_SURNAMES), rng.integers(0, len(_SURNAMES), n))
    first = columns.labels(list(_GIVEN), rng.integers(0, len(_GIVEN), n))
    second = columns.labels(list(_GIVEN), rng.integers(0, len(_GIVEN), n), rng.random(n) < 0.7)
    return columns.concat(surname, first, pc.fill_null(second, ""))


def _referrers(rng: np.random.Generator, channel: np.ndarray) -> np.ndarray:
    """Referral fission (S2.1c): a share of customers is invited by an earlier "advocate"."""
    n = len(channel)
    advocate = rng.random(n) < _ADVOCATE_SHARE * np.where(
        channel == ACQUISITION_CHANNELS.index("private"), 2.5, 1.0
    )
    advocates = np.flatnonzero(advocate)
    earlier = np.searchsorted(advocates, np.arange(n))  # advocates with a smaller position
    referred = (rng.random(n) < _REFERRED_SHARE) & (earlier > 0)
    pick = np.floor(rng.random(n) * earlier).astype(np.int64)
    referrer = np.full(n, -1, dtype=np.int64)
    referrer[referred] = advocates[pick[referred]]
    return referrer


def build_customers(seed: int, calendar: Calendar, n: int) -> Customers:
    rng = stream(seed, "customers")
    shares = np.array([p.shopper_share for p in PROVINCES])
    province = choose(rng, shares, n)
    wealth = np.array([p.wealth for p in PROVINCES])[province]
    climate = np.array([CLIMATES.index(p.climate) for p in PROVINCES])[province]
    age_band = choose(rng, _AGE_SHARE, n)
    gender = choose(rng, np.array([0.56, 0.36, 0.08]), n)
    p_high = np.clip(0.18 * wealth * _HIGH_SPEND_BY_AGE[age_band], 0.02, 0.6)
    p_low = np.clip(0.35 / wealth * _LOW_SPEND_BY_AGE[age_band], 0.05, 0.7)
    draw = rng.random(n)
    spend = np.where(draw < p_low, 0, np.where(draw < p_low + p_high, 2, 1))
    pet_owner = (rng.random(n) < _PET_OWNER_BY_AGE[age_band]).astype(np.int64)
    device = choose_rows(rng, _DEVICE_BY_AGE, age_band)
    channel = choose(rng, np.array([_ACQUISITION_SHARE[c] for c in CHANNELS]), n)

    signup_us = np.sort(sample_times(rng, calendar, _signup_days(rng, calendar, n)))
    referrer = _referrers(rng, channel)
    channel[referrer >= 0] = ACQUISITION_CHANNELS.index("referral")

    rate = rng.gamma(GAMMA_SHAPE_R, 1.0 / GAMMA_RATE_ALPHA, n)
    rate *= _SPEND_RATE[spend] * np.where(pet_owner == 1, _PET_RATE, 1.0)
    dropout = rng.beta(BETA_A, BETA_B, n)

    ids = np.arange(1, n + 1)
    span = _AGE_SPAN[age_band]
    age_days = rng.integers(span[:, 0] * 365, span[:, 1] * 365)
    end_day = (calendar.end_us // DAY_US) - 1
    cities: list[str] = []
    city_index = np.empty(n, dtype=np.int64)
    for p, spec in enumerate(PROVINCES):
        mine = np.flatnonzero(province == p)
        weights = np.array([w for _, w in spec.cities])
        city_index[mine] = len(cities) + choose(rng, weights, len(mine))
        cities.extend(name for name, _ in spec.cities)
    phone_digits = (ids * 7919 + seed * 104_729) % 100_000_000
    prefix = columns.labels(_PHONE_PREFIXES, rng.integers(0, len(_PHONE_PREFIXES), n))
    has_phone = rng.random(n) < 0.8
    phone = columns.concat(prefix, columns.numbered("", phone_digits, 8))
    table = pa.table(
        {
            "id": pa.array(ids),
            "email": pc.if_else(
                pa.array(rng.random(n) < 0.45),
                columns.numbered("qm", ids, 7, "@example.com"),
                pa.nulls(n, pa.string()),
            ),
            "phone": pc.if_else(pa.array(has_phone), phone, pa.nulls(n, pa.string())),
            "name": _names(rng, n),
            "province": columns.labels([p.name for p in PROVINCES], province),
            "city": columns.labels(cities, city_index),
            "region": columns.labels(
                REGIONS, np.array([REGIONS.index(p.region) for p in PROVINCES])[province]
            ),
            "birth_date": columns.dates(end_day - age_days),
            "gender": columns.labels(GENDERS, np.minimum(gender, 1), gender < 2),
            "channel": columns.labels(ACQUISITION_CHANNELS, channel),
            "signed_up_at": columns.timestamps(signup_us),
            "referred_by_id": columns.ints(referrer + 1, referrer >= 0),
        }
    )
    return Customers(
        table=table,
        signup_us=signup_us,
        province=province,
        climate=climate,
        age_band=age_band,
        gender=gender,
        spend=spend,
        pet_owner=pet_owner,
        device=device,
        channel=channel,
        purchase_rate=rate,
        dropout=dropout,
    )
