"""The demo brand's assortment: bilingual categories, products, variants and search words.

The categories are the ones the source article names (S1.1: sun-protection jackets, rental-room
storage furniture, dehumidifiers for the humid south, memory-foam pillows, monthly beauty buys,
phone case + screen protector, pet food by breed and age, camping cookware, mood aromatherapy,
lightweight fitness gear, elderly-friendly goods), so every feature of storeloop has data to
work on. Affinities say who buys what: a persona (age band, gender, pet owner, spending level)
multiplies a category's base share; seasons say when.
"""

from __future__ import annotations

from dataclasses import dataclass

AGE_BANDS: tuple[str, ...] = ("18-24", "25-29", "30-34", "35-44", "45-54", "55+")
APPAREL_SIZES: tuple[tuple[str, float], ...] = (
    ("S", 0.12),
    ("M", 0.26),
    ("L", 0.29),
    ("XL", 0.21),
    ("XXL", 0.12),
)
APPAREL_COLOURS: tuple[tuple[str, str], ...] = (
    ("黑色", "black"),
    ("白色", "white"),
    ("雾霾蓝", "haze blue"),
    ("燕麦色", "oatmeal"),
    ("军绿色", "army green"),
)
PHONE_MODELS: tuple[str, ...] = (
    "iPhone 16",
    "iPhone 15",
    "Huawei Mate 60",
    "Xiaomi 14",
    "OPPO Reno12",
)

# Season profiles a product may carry; seasonality.py turns them into monthly multipliers.
SEASONS: tuple[str, ...] = ("", "summer", "winter", "humid_summer", "cold_winter")


@dataclass(frozen=True)
class ProductSpec:
    name: str
    name_en: str
    season: str = ""
    certificates: tuple[str, ...] = ()  # CCC, CE, QC


@dataclass(frozen=True)
class CategorySpec:
    slug: str
    name: str
    name_en: str
    parent: str
    share: float  # base share of order lines before persona and season multipliers
    price_yuan: tuple[float, float]
    weight_g: tuple[int, int]
    age_affinity: tuple[float, float, float, float, float, float]  # per AGE_BANDS
    female_affinity: float  # women buy f times, men 1/f times the base
    return_rate: float  # share of delivered lines sent back
    products: tuple[ProductSpec, ...]
    search_terms: tuple[str, ...]
    variants: tuple[tuple[str, str, float], ...] = ()  # (zh, en, price factor) options
    kind: str = "spec"  # apparel (size × colour), phone (phone model) or spec
    consumable: bool = False  # bought several at a time and repurchased monthly
    pet: bool = False  # only pet owners buy it


@dataclass(frozen=True)
class ParentCategory:
    slug: str
    name: str
    name_en: str


PARENTS: tuple[ParentCategory, ...] = (
    ParentCategory("apparel", "服饰", "Apparel"),
    ParentCategory("home", "家居", "Home"),
    ParentCategory("beauty", "美妆个护", "Beauty"),
    ParentCategory("digital", "数码配件", "Phone & digital accessories"),
    ParentCategory("pets", "宠物", "Pets"),
    ParentCategory("outdoor", "户外运动", "Outdoor & fitness"),
    ParentCategory("lifestyle", "生活方式", "Lifestyle"),
)

_YOUNG = (1.6, 1.4, 1.1, 0.9, 0.7, 0.5)
_PHONE_AGE = (1.8, 1.4, 1.0, 0.8, 0.6, 0.4)
_OUTDOOR_AGE = (0.8, 1.3, 1.4, 1.2, 0.7, 0.3)
_PET_AGE = (1.0, 1.3, 1.3, 1.0, 0.8, 0.6)

CATEGORIES: tuple[CategorySpec, ...] = (
    CategorySpec(
        "tops",
        "上衣",
        "Tops",
        "apparel",
        9.0,
        (49, 199),
        (180, 650),
        _YOUNG,
        1.4,
        0.15,
        (
            ProductSpec("纯棉短袖T恤女宽松百搭", "Women's loose cotton T-shirt", "summer"),
            ProductSpec("重磅纯棉圆领T恤男", "Men's heavyweight cotton T-shirt", "summer"),
            ProductSpec("连帽加绒卫衣情侣款", "Fleece-lined couples' hoodie", "winter"),
            ProductSpec("法式通勤衬衫女", "French-style office shirt"),
            ProductSpec("圆领针织开衫", "Crew-neck knit cardigan"),
            ProductSpec("速干运动T恤", "Quick-dry sports T-shirt", "summer"),
            ProductSpec("国潮印花卫衣", "Guochao print sweatshirt"),
        ),
        ("T恤 女 宽松", "卫衣 加绒", "衬衫 通勤", "针织开衫", "速干衣", "国潮卫衣"),
        kind="apparel",
    ),
    CategorySpec(
        "trousers",
        "裤装",
        "Trousers",
        "apparel",
        7.0,
        (69, 229),
        (300, 800),
        (1.5, 1.4, 1.1, 0.9, 0.7, 0.5),
        1.3,
        0.18,
        (
            ProductSpec("高腰阔腿牛仔裤", "High-waist wide-leg jeans"),
            ProductSpec("冰丝垂感休闲裤", "Ice-silk drape casual trousers", "summer"),
            ProductSpec("束脚运动卫裤", "Jogger sweatpants"),
            ProductSpec("加绒加厚直筒裤", "Fleece-lined straight trousers", "cold_winter"),
            ProductSpec("工装口袋裤", "Cargo trousers"),
            ProductSpec("瑜伽鲨鱼裤", "Yoga shark leggings"),
            ProductSpec("九分烟管裤", "Cropped cigarette trousers"),
        ),
        ("阔腿裤", "牛仔裤 高腰", "运动裤 束脚", "加绒裤", "鲨鱼裤"),
        kind="apparel",
    ),
    CategorySpec(
        "outerwear",
        "外套",
        "Jackets & coats",
        "apparel",
        6.0,
        (99, 599),
        (250, 1400),
        (1.1, 1.2, 1.1, 1.0, 0.9, 0.8),
        1.1,
        0.12,
        (
            ProductSpec(
                "户外防晒衣女防紫外线登山徒步", "Women's UV-proof outdoor sun jacket", "summer"
            ),
            ProductSpec("冰丝防晒衣男UPF50+", "Men's UPF50+ ice-silk sun jacket", "summer"),
            ProductSpec("三合一冲锋衣", "3-in-1 hardshell jacket", "winter"),
            ProductSpec("90白鸭绒轻薄羽绒服", "Light 90% duck-down puffer", "cold_winter"),
            ProductSpec("加厚长款羽绒服", "Long thick down coat", "cold_winter"),
            ProductSpec("摇粒绒外套", "Fleece jacket", "winter"),
            ProductSpec("复古牛仔夹克", "Vintage denim jacket"),
        ),
        ("防晒衣 女", "防晒衣 upf50", "冲锋衣", "羽绒服 轻薄", "羽绒服 长款", "摇粒绒"),
        kind="apparel",
    ),
    CategorySpec(
        "storage",
        "收纳家具",
        "Storage furniture",
        "home",
        6.0,
        (19, 399),
        (300, 18000),
        (1.3, 1.6, 1.3, 0.9, 0.7, 0.5),
        1.2,
        0.04,
        (
            ProductSpec("模块化组合收纳柜 出租屋改造", "Modular storage cabinet for rented rooms"),
            ProductSpec("免安装折叠衣柜", "Fold-out wardrobe, no assembly"),
            ProductSpec("桌面收纳盒三件套", "Desktop organiser set of 3"),
            ProductSpec("带轮床底收纳箱", "Under-bed storage box on wheels"),
            ProductSpec("多层落地置物架", "Multi-tier floor shelf"),
            ProductSpec("门后挂钩收纳架", "Over-door hook rack"),
            ProductSpec("真空压缩收纳袋", "Vacuum storage bags"),
        ),
        ("出租屋改造", "收纳柜 组合", "折叠衣柜", "收纳箱", "置物架", "压缩袋"),
        (("白色", "white", 1.0), ("原木色", "natural wood", 1.1), ("奶油风", "cream", 1.15)),
    ),
    CategorySpec(
        "appliances",
        "生活电器",
        "Home appliances",
        "home",
        4.0,
        (89, 1599),
        (800, 16000),
        (0.6, 0.9, 1.1, 1.3, 1.2, 1.1),
        1.0,
        0.035,
        (
            ProductSpec("家用除湿机 回南天抽湿", "Home dehumidifier", "humid_summer", ("CCC",)),
            ProductSpec(
                "大功率除湿机 地下室", "High-capacity dehumidifier", "humid_summer", ("CCC", "CE")
            ),
            ProductSpec("衣柜迷你除湿器", "Mini wardrobe dehumidifier", "humid_summer", ("QC",)),
            ProductSpec("暖风机取暖器家用", "Fan heater", "cold_winter", ("CCC",)),
            ProductSpec("踢脚线电暖器", "Skirting convector heater", "cold_winter", ("CCC", "CE")),
            ProductSpec("静音卧室加湿器", "Quiet bedroom humidifier", "cold_winter", ("CCC",)),
            ProductSpec("双人电热毯", "Double electric blanket", "cold_winter", ("CCC",)),
        ),
        ("除湿机 家用", "抽湿机", "回南天 除湿", "取暖器", "电暖器", "加湿器 静音", "电热毯"),
        (("标准款", "standard", 1.0), ("大容量款", "large", 1.35)),
    ),
    CategorySpec(
        "bedding",
        "床品枕头",
        "Bedding & pillows",
        "home",
        6.0,
        (49, 499),
        (600, 5000),
        (0.7, 1.0, 1.2, 1.3, 1.2, 1.1),
        1.2,
        0.04,
        (
            ProductSpec(
                "记忆棉枕头 慢回弹护颈", "Slow-rebound memory-foam neck pillow", "", ("QC",)
            ),
            ProductSpec("泰国天然乳胶枕", "Natural latex pillow", "", ("QC",)),
            ProductSpec("纯棉床上四件套", "Cotton bedding set of 4"),
            ProductSpec("冰丝凉席三件套", "Ice-silk cooling mat set", "summer"),
            ProductSpec("可水洗夏凉被", "Washable summer quilt", "summer"),
            ProductSpec("加厚大豆纤维冬被", "Thick soy-fibre winter duvet", "winter", ("QC",)),
            ProductSpec("记忆棉床垫", "Memory-foam mattress topper", "", ("QC",)),
        ),
        ("记忆棉枕头", "护颈枕", "乳胶枕", "四件套 纯棉", "凉席", "夏凉被", "冬被 加厚"),
        (("1.5m床", "1.5 m bed", 1.0), ("1.8m床", "1.8 m bed", 1.15)),
    ),
    CategorySpec(
        "skincare",
        "护肤",
        "Skincare",
        "beauty",
        8.0,
        (39, 329),
        (80, 500),
        (1.3, 1.4, 1.3, 1.0, 0.8, 0.5),
        1.8,
        0.02,
        (
            ProductSpec("玻尿酸补水面膜20片", "Hyaluronic sheet masks ×20", "", ("QC",)),
            ProductSpec("烟酰胺提亮精华", "Niacinamide brightening serum", "", ("QC",)),
            ProductSpec("氨基酸洗面奶", "Amino-acid facial cleanser"),
            ProductSpec("敏感肌修护面霜", "Repair cream for sensitive skin", "", ("QC",)),
            ProductSpec("清爽防晒霜SPF50+", "Light sunscreen SPF50+", "summer"),
            ProductSpec("温和卸妆油", "Gentle cleansing oil"),
            ProductSpec("男士控油洁面", "Men's oil-control cleanser"),
        ),
        ("面膜 补水", "烟酰胺精华", "洗面奶 氨基酸", "修护面霜", "防晒霜", "卸妆油"),
        (("正装", "full size", 1.0), ("囤货装", "value pack", 1.8)),
        consumable=True,
    ),
    CategorySpec(
        "makeup",
        "彩妆",
        "Makeup",
        "beauty",
        5.0,
        (9.9, 259),
        (30, 300),
        (1.8, 1.5, 1.1, 0.8, 0.5, 0.2),
        2.5,
        0.025,
        (
            ProductSpec("哑光丝绒口红", "Matte velvet lipstick"),
            ProductSpec("轻薄气垫BB霜", "Light cushion BB cream", "", ("QC",)),
            ProductSpec("防水细眉笔", "Waterproof slim eyebrow pencil"),
            ProductSpec("持妆定妆喷雾", "Long-wear setting spray"),
            ProductSpec("大地色眼影盘", "Earth-tone eyeshadow palette"),
            ProductSpec("9.9元试用小样套装", "¥9.9 trial-size sample kit"),
        ),
        ("口红 哑光", "气垫bb霜", "眉笔", "定妆喷雾", "眼影盘", "小样 试用装"),
        (("经典色", "classic", 1.0), ("新色", "new shade", 1.05)),
    ),
    CategorySpec(
        "phone-cases",
        "手机壳",
        "Phone cases",
        "digital",
        7.0,
        (19, 89),
        (30, 80),
        _PHONE_AGE,
        1.0,
        0.03,
        (
            ProductSpec("透明防摔手机壳", "Clear shockproof case"),
            ProductSpec("磁吸MagSafe手机壳", "MagSafe magnetic case"),
            ProductSpec("液态硅胶手机壳", "Liquid silicone case"),
            ProductSpec("国潮插画手机壳", "Guochao illustrated case"),
            ProductSpec("皮革卡包手机壳", "Leather wallet case"),
            ProductSpec("支架指环手机壳", "Ring-stand case"),
        ),
        ("手机壳 iphone16", "手机壳 防摔", "磁吸手机壳", "华为mate60 手机壳", "小米14 手机壳"),
        kind="phone",
    ),
    CategorySpec(
        "screen-protectors",
        "手机膜",
        "Screen protectors",
        "digital",
        3.0,
        (9.9, 49),
        (20, 60),
        _PHONE_AGE,
        1.0,
        0.02,
        (
            ProductSpec("高清钢化膜2片装", "HD tempered glass ×2"),
            ProductSpec("防窥钢化膜", "Privacy tempered glass"),
            ProductSpec("镜头保护膜", "Camera lens protector"),
            ProductSpec("全屏覆盖水凝膜", "Full-cover hydrogel film"),
        ),
        ("钢化膜", "防窥膜", "镜头膜"),
        kind="phone",
        consumable=True,
    ),
    CategorySpec(
        "chargers",
        "充电配件",
        "Chargers & cables",
        "digital",
        4.0,
        (19, 199),
        (40, 450),
        (1.3, 1.2, 1.1, 1.0, 0.8, 0.6),
        0.7,
        0.03,
        (
            ProductSpec("65W氮化镓快充头", "65 W GaN fast charger", "", ("CCC", "CE")),
            ProductSpec("20000mAh充电宝", "20,000 mAh power bank", "", ("CCC",)),
            ProductSpec("编织快充数据线", "Braided fast-charge cable"),
            ProductSpec("三合一无线充电器", "3-in-1 wireless charger", "", ("CCC",)),
            ProductSpec("车载快充充电器", "Car fast charger", "", ("CCC",)),
            ProductSpec("磁吸无线充电宝", "Magnetic wireless power bank", "", ("CCC",)),
        ),
        ("氮化镓充电器", "充电宝 大容量", "数据线 快充", "无线充电器", "车载充电器"),
        (("白色", "white", 1.0), ("黑色", "black", 1.0)),
    ),
    CategorySpec(
        "pet-food",
        "宠物主粮",
        "Pet food",
        "pets",
        6.0,
        (49, 169),
        (1500, 10000),
        _PET_AGE,
        1.2,
        0.015,
        (
            ProductSpec("小型犬幼犬粮", "Puppy food for small breeds", "", ("QC",)),
            ProductSpec("中大型犬成犬粮", "Adult food for medium and large dogs", "", ("QC",)),
            ProductSpec("老年犬粮 关节护理", "Senior dog food with joint care", "", ("QC",)),
            ProductSpec("幼猫粮", "Kitten food", "", ("QC",)),
            ProductSpec("全价冻干成猫粮", "Adult cat food with freeze-dried bits", "", ("QC",)),
            ProductSpec("英短专用猫粮", "British Shorthair formula", "", ("QC",)),
            ProductSpec("无谷低敏猫粮", "Grain-free hypoallergenic cat food", "", ("QC",)),
        ),
        ("幼犬粮", "狗粮 大型犬", "老年犬粮", "幼猫粮", "猫粮 冻干", "英短猫粮", "无谷猫粮"),
        (("1.5kg", "1.5 kg", 1.0), ("5kg", "5 kg", 2.4)),
        consumable=True,
        pet=True,
    ),
    CategorySpec(
        "pet-supplies",
        "宠物用品",
        "Pet supplies",
        "pets",
        4.0,
        (15, 259),
        (200, 6000),
        _PET_AGE,
        1.2,
        0.03,
        (
            ProductSpec("豆腐猫砂6L", "Tofu cat litter 6 L"),
            ProductSpec("冻干鸡肉宠物零食", "Freeze-dried chicken treats", "", ("QC",)),
            ProductSpec("瓦楞纸猫抓板", "Corrugated cat scratcher"),
            ProductSpec("宠物自动饮水机", "Automatic pet fountain", "", ("CCC",)),
            ProductSpec("牵引绳胸背套装", "Leash and harness set"),
            ProductSpec("宠物驱虫项圈", "Flea and tick collar", "", ("QC",)),
            ProductSpec("定时自动喂食器", "Timed automatic pet feeder", "", ("CCC",)),
        ),
        ("豆腐猫砂", "宠物零食 冻干", "猫抓板", "宠物饮水机", "牵引绳"),
        (("标准装", "standard", 1.0), ("家庭装", "family pack", 1.7)),
        consumable=True,
        pet=True,
    ),
    CategorySpec(
        "camping-cookware",
        "露营炊具",
        "Camping cookware",
        "outdoor",
        3.0,
        (39, 459),
        (200, 2500),
        _OUTDOOR_AGE,
        0.7,
        0.04,
        (
            ProductSpec("户外便携套锅", "Portable camping pot set"),
            ProductSpec("户外卡式炉", "Outdoor cassette stove", "", ("CE",)),
            ProductSpec("露营手冲咖啡壶套装", "Camp pour-over coffee kit"),
            ProductSpec("钛合金餐具套装", "Titanium cutlery set"),
            ProductSpec("折叠便携烧烤架", "Folding portable grill", "summer"),
            ProductSpec("户外保温水壶", "Insulated outdoor bottle"),
            ProductSpec("户外折叠水桶", "Collapsible water bucket"),
        ),
        ("露营 套锅", "卡式炉", "露营 咖啡", "钛餐具", "烧烤架 折叠"),
        (("2-3人", "2-3 people", 1.0), ("4-5人", "4-5 people", 1.4)),
    ),
    CategorySpec(
        "camping-gear",
        "露营装备",
        "Camping gear",
        "outdoor",
        3.0,
        (49, 699),
        (300, 6000),
        _OUTDOOR_AGE,
        0.6,
        0.04,
        (
            ProductSpec("全自动速开帐篷", "Instant pop-up tent", "summer"),
            ProductSpec("铝合金蛋卷桌", "Aluminium roll-up table"),
            ProductSpec("便携月亮椅", "Portable moon chair"),
            ProductSpec("防晒天幕", "Sun canopy tarp", "summer"),
            ProductSpec("充电露营灯", "Rechargeable camping lantern", "", ("CCC",)),
            ProductSpec("加厚信封睡袋", "Thick envelope sleeping bag", "winter"),
            ProductSpec("自动充气防潮垫", "Self-inflating sleeping pad"),
        ),
        ("帐篷 速开", "蛋卷桌", "月亮椅", "天幕", "露营灯", "睡袋"),
        (("标准款", "standard", 1.0), ("加大款", "large", 1.3)),
    ),
    CategorySpec(
        "fitness",
        "轻量健身",
        "Fitness gear",
        "outdoor",
        5.0,
        (19, 499),
        (150, 12000),
        (1.4, 1.4, 1.2, 0.9, 0.6, 0.4),
        0.9,
        0.04,
        (
            ProductSpec("加厚TPE瑜伽垫", "Thick TPE yoga mat"),
            ProductSpec("弹力带五件套", "Resistance band set of 5"),
            ProductSpec("可调节哑铃", "Adjustable dumbbells"),
            ProductSpec("深层筋膜枪", "Deep-tissue massage gun", "", ("CCC",)),
            ProductSpec("计数跳绳", "Counting jump rope"),
            ProductSpec("静音健腹轮", "Silent ab roller"),
            ProductSpec("狼牙泡沫轴", "Textured foam roller"),
        ),
        ("瑜伽垫", "弹力带", "哑铃 可调节", "筋膜枪", "跳绳", "健腹轮", "泡沫轴"),
        (("基础款", "basic", 1.0), ("进阶款", "pro", 1.35)),
    ),
    CategorySpec(
        "aromatherapy",
        "香薰",
        "Aromatherapy",
        "lifestyle",
        4.0,
        (29, 199),
        (100, 900),
        (1.4, 1.5, 1.2, 0.8, 0.6, 0.4),
        1.8,
        0.02,
        (
            ProductSpec("无火藤条香薰", "Reed diffuser"),
            ProductSpec("香薰蜡烛礼盒", "Scented candle gift box"),
            ProductSpec("助眠精油", "Sleep essential oil", "", ("QC",)),
            ProductSpec("超声波香薰机", "Ultrasonic aroma diffuser", "", ("CCC",)),
            ProductSpec("车载香薰", "Car aroma diffuser"),
            ProductSpec("薰衣草枕头喷雾", "Lavender pillow mist"),
            ProductSpec("石膏扩香石", "Plaster aroma diffuser stone"),
        ),
        ("香薰 卧室", "香薰蜡烛", "助眠精油", "香薰机", "车载香薰", "情绪香薰"),
        (("雪松", "cedar", 1.0), ("白茶", "white tea", 1.0), ("无花果", "fig", 1.05)),
    ),
    CategorySpec(
        "elderly",
        "适老好物",
        "Elderly-friendly goods",
        "lifestyle",
        3.0,
        (19, 399),
        (150, 4000),
        (0.3, 0.4, 0.7, 1.3, 2.2, 3.0),
        1.1,
        0.03,
        (
            ProductSpec("老人防滑拖鞋", "Non-slip slippers for seniors"),
            ProductSpec("折叠淋浴椅", "Folding shower chair", "", ("QC",)),
            ProductSpec("床边起身扶手", "Bedside grab rail", "", ("QC",)),
            ProductSpec("一键呼叫器", "One-touch alarm pager", "", ("CCC",)),
            ProductSpec("人体感应夜灯", "Motion-sensor night light", "", ("CCC",)),
            ProductSpec("带灯放大镜", "Illuminated magnifier"),
            ProductSpec("四脚助行拐杖", "Four-leg walking cane", "", ("QC",)),
        ),
        ("老人 防滑拖鞋", "淋浴椅", "床边扶手", "老人呼叫器", "感应夜灯", "放大镜", "拐杖"),
        (("标准款", "standard", 1.0),),
    ),
)

CERTIFICATE_ISSUERS: dict[str, tuple[str, ...]] = {
    "CCC": ("中国质量认证中心 (CQC)",),
    "CE": ("TÜV SÜD", "SGS", "Intertek"),
    "QC": ("SGS通标标准技术服务有限公司", "华测检测 CTI", "国家日用消费品质量检验检测中心"),
}
CERTIFICATE_KINDS: dict[str, str] = {"CCC": "CCC", "CE": "CE", "QC": "QC report"}

BRAND = "栖木 Qimu"
