"""Static demo reference data for quotes: carrier services with their rate cards, the
parcel size of every demo product, and the customers' shipping agreements
(docs/architecture.md#carriers-and-quotes). Fees in CNY; regions are the demo's (East,
North, South)."""

from __future__ import annotations

from datetime import time

# A rate card: (same-region fee, per kg, days), (cross-region fee, per kg, days). It becomes
# one rule per region for the same-region lane and one '*' -> '*' rule for the others.
Card = tuple[tuple[str, str, int], tuple[str, str, int]]


# carrier code -> [(service code, name, level, divisor, max kg, max cm (l, w, h) or None,
#                   cutoff, COD fee or None (no COD), cold chain, card)]
SERVICES: dict[str, list[tuple]] = {
    "SF": [
        ("SF-TK", "顺丰特快 SF Express Priority", "EXPRESS", 6000, "50", ("120", "80", "80"),
         time(18, 0), "5.00", False, (("10.00", "2.00", 1), ("15.00", "8.00", 2))),
        ("SF-BK", "顺丰标快 SF Standard", "STANDARD", 6000, "50", ("120", "80", "80"),
         time(20, 0), "5.00", False, (("10.00", "1.50", 1), ("14.00", "5.00", 3))),
    ],
    "JD": [
        ("JD-TK", "京东特快 JD Express", "EXPRESS", 6000, "50", ("120", "80", "80"),
         time(17, 0), "4.00", False, (("11.00", "2.00", 1), ("16.00", "7.00", 2))),
        ("JD-BK", "京东标快 JD Standard", "STANDARD", 8000, "50", ("120", "80", "80"),
         time(20, 0), "4.00", False, (("8.00", "1.50", 1), ("12.00", "4.00", 3))),
    ],
    "ZTO": [
        ("ZTO-BK", "中通标快 ZTO Standard", "ECONOMY", 8000, "30", ("100", "60", "60"),
         time(19, 0), None, False, (("5.00", "1.00", 2), ("8.00", "3.00", 4))),
    ],
    "EMS": [
        ("EMS-TK", "EMS 特快专递 EMS Express", "EXPRESS", 6000, "40", ("150", "100", "100"),
         time(16, 0), "3.00", False, (("12.00", "2.00", 2), ("18.00", "6.00", 3))),
        ("EMS-BG", "邮政快递包裹 Postal Parcel", "ECONOMY", 6000, "30", ("150", "100", "100"),
         time(17, 0), None, False, (("6.00", "1.00", 3), ("9.00", "2.50", 5))),
    ],
    "DEPPON": [  # the freight carrier: less-than-truckload lines beside parcels
        ("DP-BK", "德邦标准快递 Deppon Standard", "STANDARD", 6000, "60", ("150", "100", "100"),
         time(18, 0), "5.00", False, (("10.00", "1.80", 2), ("15.00", "4.00", 3))),
        ("DP-KH", "德邦精准卡航 Deppon Freight", "FREIGHT", 5000, "3000", ("600", "240", "240"),
         time(16, 0), None, False, (("30.00", "0.80", 2), ("60.00", "1.60", 4))),
    ],
    "YTO": [  # the carrier is inactive: never quoted
        ("YTO-BK", "圆通标快 YTO Standard", "ECONOMY", 8000, "30", ("100", "60", "60"),
         time(19, 0), None, False, (("5.00", "1.00", 2), ("8.00", "3.00", 4))),
    ],
    "SFCC": [  # the cold-chain carrier
        ("SFCC-LY", "顺丰冷运标快 SF Cold Chain", "COLD_CHAIN", 6000, "30", ("100", "60", "60"),
         time(15, 0), None, True, (("25.00", "4.00", 1), ("40.00", "9.00", 2))),
    ],
}

# product base name (catalog_data.PRODUCTS) -> one unit's length, width, height in cm
PARCEL_SIZES: dict[str, tuple[int, int, int]] = {
    "得力 A4 复印纸": (30, 21, 5), "晨光 中性笔": (16, 8, 2), "齐心 文件夹": (32, 24, 2),
    "得力 订书机": (15, 6, 5), "3M 便利贴": (8, 8, 2), "得力 计算器": (19, 14, 4),
    "金得利 碎纸机": (38, 28, 55), "晨光 磁性白板": (125, 95, 5), "得力 档案盒": (32, 24, 6),
    "晨光 白板笔": (15, 10, 2), "罗技 无线鼠标": (15, 10, 5), "罗技 键盘": (47, 17, 4),
    "戴尔 显示器": (68, 45, 16), "联想 ThinkPad 笔记本电脑": (40, 28, 8),
    "惠普 激光打印机": (45, 40, 30), "惠普 硒鼓": (40, 15, 15), "闪迪 U盘": (10, 6, 2),
    "TP-LINK 路由器": (30, 22, 8), "绿联 扩展坞": (15, 10, 4),
    "海康威视 网络摄像机": (18, 14, 14), "Apple iPad": (30, 22, 5),
    "小米 显示器挂灯": (50, 10, 10), "美的 电热水壶": (25, 20, 28), "格力 空调": (100, 35, 30),
    "海尔 冰箱": (170, 65, 60), "小米 空气净化器": (60, 30, 30), "九阳 豆浆机": (35, 25, 20),
    "飞利浦 电动牙刷": (25, 10, 6), "苏泊尔 电饭煲": (35, 30, 30), "西门子 洗碗机": (85, 65, 60),
    "戴森 吸尘器": (70, 28, 28), "农夫山泉 饮用天然水": (40, 27, 22),
    "怡宝 纯净水": (40, 27, 22), "雀巢 咖啡": (25, 18, 10), "立顿 红茶 黄牌精选": (20, 12, 10),
    "三只松鼠 每日坚果": (30, 25, 10), "西湖龙井 茶叶": (20, 15, 10), "可口可乐": (40, 27, 12),
    "金龙鱼 食用油": (32, 30, 15), "五常大米": (45, 30, 12), "奥利奥 饼干": (30, 20, 10),
    "3M 防护口罩": (20, 12, 10), "代尔塔 安全鞋": (33, 22, 13), "霍尼韦尔 防护手套": (25, 15, 8),
    "梅思安 安全帽": (30, 25, 18), "反光背心": (25, 20, 2), "世达 工具套装": (45, 35, 10),
    "博世 电钻": (40, 30, 12), "安全警示锥": (70, 40, 40), "维达 抽纸": (60, 40, 30),
    "心相印 卷纸": (45, 25, 12), "蓝月亮 洗衣液": (30, 20, 12), "威猛先生 清洁剂": (25, 10, 7),
    "滴露 消毒液": (28, 12, 8), "舒肤佳 洗手液": (20, 10, 6), "3M 思高 百洁布": (18, 12, 3),
    "垃圾袋": (15, 10, 8), "舒洁 湿厕纸": (20, 12, 8),
}

# Premium spring tea travels refrigerated to keep its freshness: the demo's cold-chain goods.
COLD_CHAIN_PRODUCTS = {"西湖龙井 茶叶 明前特级 250g"}

# customer tier -> free shipping from this goods total (None: billed at the carrier's price)
FREE_SHIPPING: dict[str, str | None] = {"STANDARD": None, "SILVER": "1000.00",
                                        "GOLD": "500.00", "PLATINUM": "0.00"}
