"""Chinese names for the benchmark dataset (deterministic given the caller's Random)."""

from __future__ import annotations

import random

REGIONS = ["华东", "华北", "华南", "华中", "西南", "西北", "东北"]
CITIES = ["上海", "北京", "广州", "深圳", "杭州", "南京", "成都", "武汉", "西安", "苏州",
          "天津", "重庆", "青岛", "厦门", "长沙", "沈阳"]
CATEGORIES = ["紧固件", "轴承", "电机", "阀门", "管件", "工具", "包装材料", "电子元件"]
CARRIERS = [("SF", "顺丰速运"), ("ZTO", "中通快递"), ("YTO", "圆通速递"), ("JD", "京东物流")]
TRACKING = {"PICKED_UP": "快件已揽收", "IN_TRANSIT": "运输中", "OUT_FOR_DELIVERY": "派送中",
            "DELIVERED": "已签收"}

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛"]
_WORDS = ["华信", "宏达", "金鼎", "永盛", "鑫源", "恒通", "天成", "瑞丰", "嘉禾", "博远"]
_TRADES = ["机械", "电子", "贸易", "科技", "实业", "制造"]
_ITEMS = ["不锈钢螺栓", "深沟球轴承", "三相异步电机", "球阀", "法兰", "扭力扳手", "缠绕膜",
          "贴片电阻", "气动接头", "同步带"]


def person(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + rng.choice(_GIVEN) + rng.choice(_GIVEN)


def company(rng: random.Random, city: str) -> str:
    return f"{city}{rng.choice(_WORDS)}{rng.choice(_TRADES)}有限公司"


def product_name(pid: int) -> str:
    """A product's name depends on its id only, so order lines can copy it."""
    return f"{_ITEMS[pid % len(_ITEMS)]} 型号{pid:04d}"


def product(_rng: random.Random, pid: int) -> str:
    return product_name(pid)
