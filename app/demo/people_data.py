"""Static demo reference data: names, companies, cities and streets (Chinese + English)."""

from __future__ import annotations

SURNAMES: list[tuple[str, str]] = [
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"),
    ("杨", "yang"), ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"),
    ("徐", "xu"), ("孙", "sun"), ("马", "ma"), ("朱", "zhu"), ("胡", "hu"), ("郭", "guo"),
    ("何", "he"), ("高", "gao"), ("林", "lin"), ("罗", "luo"), ("郑", "zheng"),
    ("梁", "liang"), ("谢", "xie"), ("宋", "song"), ("唐", "tang"), ("韩", "han"),
    ("冯", "feng"), ("邓", "deng"), ("曹", "cao"), ("欧阳", "ouyang"),
]

GIVEN_NAMES: list[tuple[str, str]] = [
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"),
    ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"), ("勇", "yong"),
    ("艳", "yan"), ("杰", "jie"), ("娟", "juan"), ("涛", "tao"), ("明", "ming"),
    ("超", "chao"), ("秀英", "xiuying"), ("霞", "xia"), ("平", "ping"), ("刚", "gang"),
    ("晨", "chen"), ("浩", "hao"), ("宇", "yu"), ("欣怡", "xinyi"), ("子涵", "zihan"),
    ("梓轩", "zixuan"), ("佳琪", "jiaqi"), ("婷", "ting"), ("建国", "jianguo"),
]

EN_FIRST = ["Emily", "James", "Olivia", "Daniel", "Sophia", "Michael", "Grace", "David",
            "Chloe", "Ryan", "Hannah", "Kevin", "Laura", "Peter", "Amy", "Jason", "Zoë",
            "Lukas", "Amélie", "Noah"]
EN_LAST = ["Smith", "Johnson", "Brown", "Wilson", "Taylor", "Chen", "Wang", "Lee", "Müller",
           "Schmidt", "Dubois", "García", "Tanaka", "Kim", "Anderson", "Clarke", "O'Brien",
           "Rossi"]

ZH_BRANDS: list[tuple[str, str]] = [
    ("星辰", "xingchen"), ("华瑞", "huarui"), ("恒通", "hengtong"), ("鼎盛", "dingsheng"),
    ("宏达", "hongda"), ("瑞丰", "ruifeng"), ("金桥", "jinqiao"), ("天成", "tiancheng"),
    ("博远", "boyuan"), ("嘉禾", "jiahe"), ("锦程", "jincheng"), ("远航", "yuanhang"),
    ("新元", "xinyuan"), ("中联", "zhonglian"), ("德信", "dexin"), ("永安", "yongan"),
    ("创想", "chuangxiang"), ("优品", "youpin"), ("云帆", "yunfan"), ("海纳", "haina"),
    ("众合", "zhonghe"), ("启明", "qiming"), ("长青", "changqing"), ("万象", "wanxiang"),
    ("华彩", "huacai"), ("百川", "baichuan"), ("盛世", "shengshi"), ("蓝海", "lanhai"),
    ("恒昌", "hengchang"), ("立信", "lixin"),
]
ZH_INDUSTRIES: list[tuple[str, str]] = [
    ("贸易", "trade"), ("科技", "tech"), ("电子", "elec"), ("商贸", "shop"), ("实业", "ind"),
    ("办公设备", "office"), ("餐饮管理", "food"), ("建材", "build"), ("医疗器械", "med"),
    ("物业管理", "pm"), ("酒店管理", "hotel"), ("教育科技", "edu"),
]
ZH_COMPANY_SUFFIXES = ["有限公司", "有限公司", "有限公司", "股份有限公司"]

EN_BRANDS = ["Northwind", "Bluebird", "Evergreen", "Silverline", "Redwood", "Pacific Rim",
             "Golden Gate", "Horizon", "Summit", "Crescent", "Oakridge", "Brightstar",
             "Riverside", "Lakeshore", "Maple Leaf", "Nordlicht"]
EN_INDUSTRIES = ["Trading", "Electronics", "Foods", "Hospitality", "Engineering",
                 "Consulting", "Logistics", "Retail"]

ZH_TITLES = ["采购经理", "总经理", "行政主管", "财务经理", "仓储主管", "采购专员"]
EN_TITLES = ["Purchasing Manager", "General Manager", "Office Manager", "Finance Manager",
             "Warehouse Supervisor", "Buyer"]

# (region, province zh, province en, city zh, city en, short, [(district zh, en)], postal, area)
CITIES: list[tuple[str, str, str, str, str, str, list[tuple[str, str]], str, str]] = [
    ("East", "上海市", "Shanghai", "上海市", "Shanghai", "上海",
     [("浦东新区", "Pudong"), ("徐汇区", "Xuhui"), ("静安区", "Jing'an"), ("闵行区", "Minhang")],
     "200", "021"),
    ("East", "江苏省", "Jiangsu", "南京市", "Nanjing", "南京",
     [("玄武区", "Xuanwu"), ("鼓楼区", "Gulou")], "210", "025"),
    ("East", "江苏省", "Jiangsu", "苏州市", "Suzhou", "苏州",
     [("工业园区", "SIP"), ("姑苏区", "Gusu")], "215", "0512"),
    ("East", "浙江省", "Zhejiang", "杭州市", "Hangzhou", "杭州",
     [("西湖区", "Xihu"), ("滨江区", "Binjiang")], "310", "0571"),
    ("East", "浙江省", "Zhejiang", "宁波市", "Ningbo", "宁波", [("鄞州区", "Yinzhou")],
     "315", "0574"),
    ("North", "北京市", "Beijing", "北京市", "Beijing", "北京",
     [("朝阳区", "Chaoyang"), ("海淀区", "Haidian"), ("东城区", "Dongcheng")], "100", "010"),
    ("North", "天津市", "Tianjin", "天津市", "Tianjin", "天津",
     [("和平区", "Heping"), ("滨海新区", "Binhai")], "300", "022"),
    ("North", "河北省", "Hebei", "石家庄市", "Shijiazhuang", "石家庄", [("长安区", "Chang'an")],
     "050", "0311"),
    ("North", "山东省", "Shandong", "济南市", "Jinan", "济南", [("历下区", "Lixia")],
     "250", "0531"),
    ("North", "山东省", "Shandong", "青岛市", "Qingdao", "青岛", [("市南区", "Shinan")],
     "266", "0532"),
    ("South", "广东省", "Guangdong", "深圳市", "Shenzhen", "深圳",
     [("南山区", "Nanshan"), ("福田区", "Futian"), ("宝安区", "Bao'an")], "518", "0755"),
    ("South", "广东省", "Guangdong", "广州市", "Guangzhou", "广州",
     [("天河区", "Tianhe"), ("越秀区", "Yuexiu")], "510", "020"),
    ("South", "广东省", "Guangdong", "东莞市", "Dongguan", "东莞", [("南城街道", "Nancheng")],
     "523", "0769"),
    ("South", "福建省", "Fujian", "厦门市", "Xiamen", "厦门", [("思明区", "Siming")],
     "361", "0592"),
    ("South", "广西壮族自治区", "Guangxi", "南宁市", "Nanning", "南宁", [("青秀区", "Qingxiu")],
     "530", "0771"),
]

STREETS: list[tuple[str, str]] = [
    ("人民路", "Renmin Road"), ("中山路", "Zhongshan Road"), ("建设路", "Jianshe Road"),
    ("解放路", "Jiefang Road"), ("科技路", "Keji Road"), ("世纪大道", "Century Avenue"),
    ("长江路", "Changjiang Road"), ("和平路", "Heping Road"), ("新华路", "Xinhua Road"),
    ("滨河路", "Binhe Road"), ("创业路", "Chuangye Road"), ("东方路", "Dongfang Road"),
]

ORDER_NOTES_ZH = ["请工作日送货", "送货前请电话联系", "发票随货", "请放前台", "急单，请优先安排"]
ORDER_NOTES_EN = ["Deliver on weekdays only", "Call before delivery", "Invoice with goods",
                  "Leave at reception", "Urgent, please prioritise"]
HOLD_REASONS = ["信用额度超限 Credit limit exceeded", "客户要求暂缓发货 Customer asked to wait",
                "待确认收货地址 Address to be confirmed"]
CANCEL_REASONS = ["客户取消 Cancelled by customer", "重复下单 Duplicate order",
                  "价格调整后重新下单 Re-ordered at new price"]
REJECT_REASONS = ["折扣超出审批权限 Discount above approval limit",
                  "客户信用冻结 Customer credit frozen"]
FEEDBACK = ["送货很快，包装完好", "Great service, thanks!", "物流稍慢，整体满意",
            "Products as described", "下次还会再来"]
