"""Static lookup tables for the synthetic world: names, pinyin, cities, companies, catalogue.

Everything the generator draws from lives here as plain Python data so that the
vectorised code elsewhere only ever deals with integer indices into these tables.
Order matters (indices are stable), so append rather than reorder when extending.
"""

from __future__ import annotations

# --- family names: (hanzi, pinyin, weight ~ share of population in %) -----------------
FAMILY_NAMES: list[tuple[str, str, float]] = [
    ("王", "Wang", 7.1), ("李", "Li", 7.0), ("张", "Zhang", 6.7), ("刘", "Liu", 5.4),
    ("陈", "Chen", 4.5), ("杨", "Yang", 3.1), ("黄", "Huang", 2.2), ("赵", "Zhao", 2.2),
    ("吴", "Wu", 2.0), ("周", "Zhou", 1.9), ("徐", "Xu", 1.5), ("孙", "Sun", 1.5),
    ("马", "Ma", 1.3), ("朱", "Zhu", 1.3), ("胡", "Hu", 1.3), ("郭", "Guo", 1.2),
    ("何", "He", 1.2), ("高", "Gao", 1.1), ("林", "Lin", 1.1), ("罗", "Luo", 1.1),
    ("郑", "Zheng", 1.0), ("梁", "Liang", 1.0), ("谢", "Xie", 0.9), ("宋", "Song", 0.8),
    ("唐", "Tang", 0.8), ("许", "Xu", 0.7), ("韩", "Han", 0.7), ("冯", "Feng", 0.7),
    ("邓", "Deng", 0.7), ("曹", "Cao", 0.7), ("彭", "Peng", 0.6), ("曾", "Zeng", 0.6),
    ("肖", "Xiao", 0.6), ("田", "Tian", 0.6), ("董", "Dong", 0.5), ("袁", "Yuan", 0.5),
    ("潘", "Pan", 0.5), ("于", "Yu", 0.5), ("蒋", "Jiang", 0.5), ("蔡", "Cai", 0.5),
    ("余", "Yu", 0.5), ("杜", "Du", 0.5), ("叶", "Ye", 0.5), ("程", "Cheng", 0.5),
    ("苏", "Su", 0.4), ("魏", "Wei", 0.4), ("吕", "Lv", 0.4), ("丁", "Ding", 0.4),
    ("任", "Ren", 0.4), ("沈", "Shen", 0.4), ("姚", "Yao", 0.3), ("卢", "Lu", 0.3),
    ("姜", "Jiang", 0.3), ("崔", "Cui", 0.3), ("钟", "Zhong", 0.3), ("谭", "Tan", 0.3),
    ("陆", "Lu", 0.3), ("汪", "Wang", 0.3), ("范", "Fan", 0.3), ("金", "Jin", 0.3),
    ("石", "Shi", 0.3), ("廖", "Liao", 0.3), ("贾", "Jia", 0.3), ("夏", "Xia", 0.3),
    ("韦", "Wei", 0.3), ("付", "Fu", 0.3), ("方", "Fang", 0.3), ("白", "Bai", 0.2),
    ("邹", "Zou", 0.2), ("孟", "Meng", 0.2), ("熊", "Xiong", 0.2), ("秦", "Qin", 0.2),
    ("邱", "Qiu", 0.2), ("江", "Jiang", 0.2), ("尹", "Yin", 0.2), ("薛", "Xue", 0.2),
    ("闫", "Yan", 0.2), ("段", "Duan", 0.2), ("雷", "Lei", 0.2), ("侯", "Hou", 0.2),
    ("龙", "Long", 0.2), ("史", "Shi", 0.2), ("陶", "Tao", 0.2), ("黎", "Li", 0.2),
    ("贺", "He", 0.2), ("顾", "Gu", 0.2), ("毛", "Mao", 0.2), ("郝", "Hao", 0.2),
    ("龚", "Gong", 0.2), ("邵", "Shao", 0.2), ("万", "Wan", 0.2), ("钱", "Qian", 0.2),
    ("严", "Yan", 0.2), ("武", "Wu", 0.2), ("戴", "Dai", 0.2), ("莫", "Mo", 0.1),
    ("孔", "Kong", 0.1), ("向", "Xiang", 0.1), ("汤", "Tang", 0.1), ("欧阳", "Ouyang", 0.05),
]

# --- given-name characters and their pinyin (lower case, tone-less, ascii) -----------
CHAR_PINYIN: dict[str, str] = {
    # mostly male
    "伟": "wei", "强": "qiang", "磊": "lei", "军": "jun", "洋": "yang", "勇": "yong",
    "杰": "jie", "涛": "tao", "明": "ming", "超": "chao", "刚": "gang", "平": "ping",
    "辉": "hui", "鹏": "peng", "华": "hua", "飞": "fei", "鑫": "xin", "波": "bo",
    "斌": "bin", "宇": "yu", "浩": "hao", "凯": "kai", "健": "jian", "俊": "jun",
    "帆": "fan", "帅": "shuai", "旭": "xu", "宁": "ning", "龙": "long", "林": "lin",
    "阳": "yang", "建": "jian", "亮": "liang", "成": "cheng", "峰": "feng", "志": "zhi",
    "东": "dong", "国": "guo", "海": "hai", "博": "bo", "彬": "bin", "毅": "yi",
    "晨": "chen", "睿": "rui", "轩": "xuan", "然": "ran", "昊": "hao", "天": "tian",
    "泽": "ze", "航": "hang", "豪": "hao", "鸣": "ming", "铭": "ming", "玮": "wei",
    "韬": "tao", "君": "jun", "桦": "hua", "晖": "hui", "诚": "cheng", "胜": "sheng",
    "力": "li", "永": "yong", "德": "de", "庆": "qing", "荣": "rong", "江": "jiang",
    "山": "shan", "新": "xin", "民": "min", "正": "zheng", "立": "li", "恺": "kai",
    "宏": "hong", "家": "jia", "梓": "zi",
    # mostly female
    "芳": "fang", "娜": "na", "敏": "min", "静": "jing", "丽": "li", "艳": "yan",
    "娟": "juan", "霞": "xia", "秀": "xiu", "燕": "yan", "玲": "ling", "桂": "gui",
    "丹": "dan", "萍": "ping", "红": "hong", "婷": "ting", "雪": "xue", "琳": "lin",
    "晶": "jing", "颖": "ying", "慧": "hui", "莉": "li", "倩": "qian", "婧": "jing",
    "梅": "mei", "洁": "jie", "琴": "qin", "云": "yun", "莹": "ying", "欣": "xin",
    "怡": "yi", "佳": "jia", "悦": "yue", "月": "yue", "蕾": "lei", "璐": "lu",
    "雯": "wen", "琪": "qi", "瑶": "yao", "薇": "wei", "晴": "qing", "菲": "fei",
    "萱": "xuan", "妍": "yan", "彤": "tong", "露": "lu", "兰": "lan", "凤": "feng",
    "英": "ying", "媛": "yuan", "珊": "shan", "蓉": "rong", "璇": "xuan", "楠": "nan",
    "梦": "meng", "诗": "shi", "涵": "han", "可": "ke", "馨": "xin", "淑": "shu",
    "美": "mei", "雅": "ya", "爽": "shuang", "虹": "hong", "惠": "hui", "婉": "wan",
    # neutral / first characters of two-character names
    "小": "xiao", "晓": "xiao", "子": "zi", "思": "si", "雨": "yu", "嘉": "jia",
    "一": "yi", "文": "wen", "春": "chun", "心": "xin",
}
GIVEN_CHARS: list[str] = list(CHAR_PINYIN)

MALE_CHARS = "伟强磊军洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林阳建亮成峰志东国海博彬毅晨睿轩然昊天泽航豪鸣诚胜力永德庆荣江山新民正立宏"
FEMALE_CHARS = "芳娜敏静丽艳娟霞秀燕玲桂丹萍红婷雪琳晶颖慧莉倩梅洁琴云莹欣怡佳悦月蕾璐雯琪瑶薇晴菲萱妍彤露兰凤英媛珊蓉璇楠梦诗涵可馨淑美雅爽婉"
NEUTRAL_FIRST_CHARS = "小晓子思雨嘉一文俊志建国海春永佳欣梓雅心家明天新宏丽秀美婉静"

# Same-pinyin substitutions used for typo injection ("明" typed as "铭" by a clerk).
HOMOPHONES: dict[str, str] = {
    "明": "铭", "铭": "明", "丽": "莉", "莉": "丽", "伟": "玮", "玮": "伟",
    "静": "婧", "婧": "静", "华": "桦", "桦": "华", "军": "君", "君": "军",
    "杰": "洁", "洁": "杰", "燕": "艳", "艳": "燕", "平": "萍", "萍": "平",
    "涛": "韬", "韬": "涛", "斌": "彬", "彬": "斌", "欣": "馨", "馨": "欣",
    "宇": "雨", "雨": "宇", "晓": "小", "小": "晓", "佳": "嘉", "嘉": "佳",
    "慧": "惠", "惠": "慧", "凯": "恺", "恺": "凯", "红": "虹", "虹": "红",
}

NICKNAMES: list[str] = [
    "小鱼儿", "快乐妈妈", "阳光男孩", "静待花开", "追梦人", "糖糖妈", "宝宝爸爸", "岁月静好",
    "向日葵", "一路向北", "微笑", "晴天", "小太阳", "星星妈妈", "麦兜", "大白", "柠檬",
    "花开半夏", "云淡风轻", "浅笑安然", "豆豆妈", "乐乐爸", "可乐", "橙子", "小确幸", "淡定",
    "木子", "安然", "清风", "海阔天空", "简单", "Lucky", "Amy", "Tony", "Kevin", "Coco",
    "Jerry", "蓝天白云", "天天向上", "好好学习", "奋斗者", "知足常乐", "平安是福", "心若向阳",
    "一米阳光", "果果妈", "皮皮", "团子", "西瓜", "奶茶", "明天会更好", "Sunny", "Grace",
]

# --- cities: (city, province short, province full, tier, weight, area code, admin prefix) --
# admin prefix = first 4 digits of the administrative division code (used in credit codes)
CITIES: list[tuple[str, str, str, int, float, str, str]] = [
    ("北京", "北京", "北京市", 1, 10.0, "010", "1101"),
    ("上海", "上海", "上海市", 1, 10.0, "021", "3101"),
    ("广州", "广东", "广东省", 1, 7.0, "020", "4401"),
    ("深圳", "广东", "广东省", 1, 7.0, "0755", "4403"),
    ("杭州", "浙江", "浙江省", 2, 5.0, "0571", "3301"),
    ("成都", "四川", "四川省", 2, 6.0, "028", "5101"),
    ("重庆", "重庆", "重庆市", 2, 6.0, "023", "5001"),
    ("武汉", "湖北", "湖北省", 2, 5.0, "027", "4201"),
    ("南京", "江苏", "江苏省", 2, 4.5, "025", "3201"),
    ("西安", "陕西", "陕西省", 2, 4.5, "029", "6101"),
    ("天津", "天津", "天津市", 2, 4.5, "022", "1201"),
    ("苏州", "江苏", "江苏省", 2, 4.5, "0512", "3205"),
    ("长沙", "湖南", "湖南省", 2, 4.0, "0731", "4301"),
    ("郑州", "河南", "河南省", 2, 4.0, "0371", "4101"),
    ("东莞", "广东", "广东省", 2, 3.5, "0769", "4419"),
    ("青岛", "山东", "山东省", 2, 3.5, "0532", "3702"),
    ("沈阳", "辽宁", "辽宁省", 2, 3.5, "024", "2101"),
    ("宁波", "浙江", "浙江省", 2, 3.0, "0574", "3302"),
    ("昆明", "云南", "云南省", 2, 3.0, "0871", "5301"),
    ("合肥", "安徽", "安徽省", 2, 3.0, "0551", "3401"),
    ("佛山", "广东", "广东省", 2, 3.0, "0757", "4406"),
    ("福州", "福建", "福建省", 3, 2.5, "0591", "3501"),
    ("厦门", "福建", "福建省", 3, 2.5, "0592", "3502"),
    ("济南", "山东", "山东省", 3, 3.0, "0531", "3701"),
    ("大连", "辽宁", "辽宁省", 3, 2.5, "0411", "2102"),
    ("哈尔滨", "黑龙江", "黑龙江省", 3, 3.0, "0451", "2301"),
    ("长春", "吉林", "吉林省", 3, 2.5, "0431", "2201"),
    ("石家庄", "河北", "河北省", 3, 3.0, "0311", "1301"),
    ("南宁", "广西", "广西壮族自治区", 3, 2.5, "0771", "4501"),
    ("南昌", "江西", "江西省", 3, 2.5, "0791", "3601"),
    ("贵阳", "贵州", "贵州省", 3, 2.0, "0851", "5201"),
    ("太原", "山西", "山西省", 3, 2.0, "0351", "1401"),
    ("无锡", "江苏", "江苏省", 3, 2.5, "0510", "3202"),
    ("温州", "浙江", "浙江省", 3, 2.5, "0577", "3303"),
    ("泉州", "福建", "福建省", 3, 2.0, "0595", "3505"),
    ("兰州", "甘肃", "甘肃省", 3, 1.5, "0931", "6201"),
    ("乌鲁木齐", "新疆", "新疆维吾尔自治区", 3, 1.5, "0991", "6501"),
    ("呼和浩特", "内蒙古", "内蒙古自治区", 3, 1.2, "0471", "1501"),
    ("海口", "海南", "海南省", 3, 1.2, "0898", "4601"),
    ("银川", "宁夏", "宁夏回族自治区", 4, 1.0, "0951", "6401"),
    ("西宁", "青海", "青海省", 4, 0.8, "0971", "6301"),
    ("拉萨", "西藏", "西藏自治区", 4, 0.5, "0891", "5401"),
]

# 3-digit mobile prefixes in use (China Mobile / Unicom / Telecom / virtual operators)
MOBILE_PREFIXES: list[int] = [
    130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 150, 151, 152, 153, 155, 156,
    157, 158, 159, 170, 171, 173, 175, 176, 177, 178, 180, 181, 182, 183, 184, 185,
    186, 187, 188, 189, 190, 191, 193, 195, 196, 197, 198, 199,
]

# (domain, weight) of personal mailboxes; "qq.com" addresses are often digits-only
EMAIL_DOMAINS: list[tuple[str, float]] = [
    ("qq.com", 0.36), ("163.com", 0.20), ("126.com", 0.08), ("gmail.com", 0.04),
    ("sina.com", 0.05), ("foxmail.com", 0.05), ("139.com", 0.05), ("hotmail.com", 0.04),
    ("sohu.com", 0.03), ("outlook.com", 0.04), ("yeah.net", 0.02), ("aliyun.com", 0.02),
]
JUNK_EMAILS: list[str] = ["test@test.com", "无", "none", "123@qq.com", "-", "a@a.com"]
JUNK_MOBILES: list[str] = ["13800000000", "11111111111", "12345678901", "1381234", "00000000000", "138"]

# --- enterprise accounts ---------------------------------------------------------------
COMPANY_FIRST: list[tuple[str, str]] = [
    ("华", "hua"), ("博", "bo"), ("中", "zhong"), ("新", "xin"), ("联", "lian"), ("恒", "heng"),
    ("远", "yuan"), ("金", "jin"), ("天", "tian"), ("东", "dong"), ("鼎", "ding"), ("盛", "sheng"),
    ("海", "hai"), ("瑞", "rui"), ("宏", "hong"), ("嘉", "jia"), ("诚", "cheng"), ("信", "xin"),
    ("佳", "jia"), ("创", "chuang"), ("汇", "hui"), ("卓", "zhuo"), ("明", "ming"), ("启", "qi"),
    ("光", "guang"), ("泰", "tai"), ("永", "yong"), ("安", "an"), ("长", "chang"), ("世", "shi"),
]
COMPANY_SECOND: list[tuple[str, str]] = [
    ("信", "xin"), ("远", "yuan"), ("达", "da"), ("科", "ke"), ("创", "chuang"), ("通", "tong"),
    ("源", "yuan"), ("泰", "tai"), ("盛", "sheng"), ("宇", "yu"), ("腾", "teng"), ("和", "he"),
    ("德", "de"), ("辰", "chen"), ("凯", "kai"), ("华", "hua"), ("峰", "feng"), ("航", "hang"),
    ("智", "zhi"), ("美", "mei"), ("邦", "bang"), ("汇", "hui"), ("洋", "yang"), ("瑞", "rui"),
    ("森", "sen"), ("丰", "feng"), ("祥", "xiang"), ("成", "cheng"), ("博", "bo"), ("弘", "hong"),
]
# (word in the company name, english tag used in e-mail domains, industry index)
INDUSTRIES: list[str] = ["制造业", "信息技术", "教育", "零售", "金融", "医疗", "物流", "商务服务", "文化传媒", "建筑", "食品"]
INDUSTRY_WORDS: list[tuple[str, str, int]] = [
    ("科技", "tech", 1), ("信息技术", "it", 1), ("软件", "soft", 1), ("网络", "net", 1),
    ("电子", "elec", 0), ("机械", "mech", 0), ("制造", "mfg", 0), ("新材料", "mat", 0),
    ("教育科技", "edu", 2), ("培训", "train", 2), ("文化教育", "edu", 2),
    ("商贸", "trade", 3), ("贸易", "trade", 3), ("百货", "retail", 3),
    ("投资", "invest", 4), ("金融服务", "fin", 4),
    ("医疗器械", "med", 5), ("医药", "pharm", 5), ("健康科技", "health", 5),
    ("物流", "logistics", 6), ("供应链", "scm", 6),
    ("咨询", "consult", 7), ("企业管理", "mgmt", 7),
    ("传媒", "media", 8), ("广告", "ad", 8),
    ("建设工程", "build", 9), ("装饰工程", "deco", 9),
    ("食品", "food", 10), ("餐饮管理", "food", 10),
]
COMPANY_SIZES: list[tuple[str, float]] = [("1-49", 0.45), ("50-199", 0.30), ("200-999", 0.17), ("1000+", 0.08)]
CONTACT_TITLES: list[str] = [
    "采购经理", "总经理", "行政主管", "人力资源经理", "培训负责人", "财务总监", "办公室主任",
    "董事长", "副总经理", "采购专员", "IT经理", "市场总监",
]

# --- catalogue -------------------------------------------------------------------------
# (category, typical unit price in CNY, share of SKUs)
CATEGORIES: list[tuple[str, float, float]] = [
    ("童装", 129.0, 0.11), ("玩具", 99.0, 0.10), ("图书", 45.0, 0.12), ("学习用品", 29.0, 0.10),
    ("课程", 899.0, 0.05), ("母婴", 159.0, 0.09), ("美妆", 189.0, 0.08), ("食品", 59.0, 0.09),
    ("数码", 699.0, 0.05), ("家居", 149.0, 0.08), ("运动", 219.0, 0.06), ("服饰", 259.0, 0.07),
]
N_SKUS = 500

# --- channels, statuses, CRM vocabularies ----------------------------------------------
APP_CHANNELS: list[tuple[str, float]] = [("小程序", 0.45), ("APP", 0.33), ("天猫旗舰店", 0.12), ("京东旗舰店", 0.05), ("抖音小店", 0.05)]
CRM_CHANNELS: list[tuple[str, float]] = [("电话销售", 0.8), ("企业采购", 0.2)]
REGISTER_CHANNELS: list[tuple[str, float]] = [("小程序", 0.5), ("APP", 0.25), ("公众号", 0.15), ("门店扫码", 0.10)]
LEAD_SOURCES: list[tuple[str, float]] = [("官网", 0.2), ("展会", 0.1), ("转介绍", 0.15), ("电话营销", 0.25), ("门店", 0.15), ("小程序", 0.15)]
CRM_LEVELS: list[str] = ["A", "B", "C", "VIP"]
# canonical status -> written variants with weights (mostly the canonical lower-case form)
STATUS_FORMS: list[list[tuple[str, float]]] = [
    [("paid", 0.86), ("PAID", 0.06), ("已支付", 0.08)],
    [("refunded", 0.88), ("REFUNDED", 0.04), ("已退款", 0.08)],
    [("cancelled", 0.88), ("CANCELLED", 0.04), ("已取消", 0.08)],
]
STATUS_NAMES: list[str] = ["paid", "refunded", "cancelled"]
# marketing consent as written, [refuses, consents] -> variants with weights
CRM_CONSENT_FORMS: list[list[tuple[str, float]]] = [
    [("拒绝", 0.88), ("不同意", 0.06), ("否", 0.03), ("退订", 0.03)],
    [("同意", 0.90), ("已同意", 0.05), ("是", 0.05)],
]
STORE_CONSENT_FORMS: list[list[tuple[str, float]]] = [
    [("N", 0.96), ("n", 0.04)],
    [("Y", 0.96), ("y", 0.04)],
]
EVENT_TYPES: list[str] = ["view", "search", "favourite", "add_to_cart", "login", "share", "referral"]
HOUSEHOLD_ROLES: list[str] = ["registrant", "decision_maker", "user"]
# index = source code used everywhere; mall (orders-only) and service (customers-only) came later
SOURCES: list[str] = ["app", "crm", "store", "ent", "mall", "service"]
APP, CRM, STORE, ENT, MALL, SERVICE = range(6)
ORDER_SYSTEMS: list[str] = ["APP", "CRM", "POS", "ENT"]  # the OMS's customer_system, same order as SOURCES


# --- how people are named where no legal name is written ---------------------------------
# honorifics: (suffix, weight) per gender, as agents and sales reps write them (王先生, 曹女士, 张总)
HONORIFICS: list[list[tuple[str, float]]] = [
    [("先生", 0.78), ("总", 0.10), ("老师", 0.05), ("哥", 0.04), ("经理", 0.03)],             # men
    [("女士", 0.62), ("小姐", 0.20), ("老师", 0.08), ("姐", 0.06), ("总", 0.02), ("经理", 0.02)],  # women
]
# sales reps' forms of address for business contacts (张总, 李经理), per gender
HONORIFICS_BUSINESS: list[list[tuple[str, float]]] = [
    [("总", 0.45), ("经理", 0.35), ("先生", 0.20)],
    [("总", 0.30), ("经理", 0.35), ("女士", 0.35)],
]
# what an agent types when the caller gave no name at all: 先生 / 女士 alone (by the voice), or
PLACEHOLDER_GENDERED_SHARE = 0.36
PLACEHOLDER_NAMES: list[tuple[str, float]] = [
    ("客户", 0.45), ("匿名", 0.15), ("顾客", 0.12), ("未知", 0.10), ("无", 0.08), ("来电客户", 0.10),
]
# screen names: English names people pick, and handle phrases (the app's NICKNAMES are reused too)
ENGLISH_NAMES: list[str] = [
    "Lucy", "Amy", "Tony", "Kevin", "Coco", "Jerry", "Grace", "Sunny", "Lucky", "Cindy", "Jack", "Linda",
    "Eric", "Vicky", "Jason", "Helen", "David", "Tina", "Alex", "Anna", "Leo", "Mia", "Ivy", "Sam",
]
HANDLE_WORDS: list[str] = [
    "momo", "xiaobai", "tiantian", "lele", "doudou", "mumu", "cat", "sky", "sun", "star", "happy", "lucky",
]
# the service desk's channels: (label, weight); the marketplace shop's chat (商城客服) serves its
# buyers and is chosen for them, not by weight
SERVICE_CHANNELS: list[tuple[str, float]] = [("热线电话", 0.45), ("在线客服", 0.30), ("微信客服", 0.20), ("邮件", 0.05),
                                             ("商城客服", 0.0)]
# the marketplace shop's order status as its backend writes it, per canonical status
MALL_STATUS_FORMS: list[list[tuple[str, float]]] = [
    [("交易成功", 0.85), ("已完成", 0.15)],
    [("退款成功", 0.9), ("已退款", 0.1)],
    [("交易关闭", 0.8), ("已取消", 0.2)],
]


def normalised_weights(pairs: list[tuple[str, float]]) -> list[float]:
    """Turn (label, weight) pairs into probabilities for `Generator.choice`."""
    total = sum(w for _, w in pairs)
    return [w / total for _, w in pairs]
