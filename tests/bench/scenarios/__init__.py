"""The scenarios, in the order they run (the write-heavy ones last: they change the data)."""

from tests.bench.scenarios import (
    s1_spa,
    s2_analyst,
    s3_orders,
    s4_subscribers,
    s5_cache,
    s6_webhooks,
    s7_abuse,
    s8_segments,
    s9_campaigns,
    s10_analytics,
    s11_exports,
)

# (key, coroutine function(ctx) -> list[Scenario], dataset sizes it runs on)
SCENARIOS = [
    ("S1", s1_spa.run, {"S", "M"}),
    ("S2", s2_analyst.run, {"S", "M"}),
    ("S5", s5_cache.run, {"S", "M"}),
    ("S7", s7_abuse.run, {"S"}),
    ("S4", s4_subscribers.run, {"S"}),
    ("S3", s3_orders.run, {"S"}),
    ("S6", s6_webhooks.run, {"S"}),
    ("S8", s8_segments.run, {"S", "M"}),
    ("S9", s9_campaigns.run, {"S"}),
    ("S10", s10_analytics.run, {"S", "M"}),
    ("S11", s11_exports.run, {"S", "M"}),
]
