"""A large synthetic certificate list, in the import format, for load tests.

`table(n)` returns a header row plus n rows exactly as `catalogue.transfer.import_table` reads a
CSV/XLSX file. Names are built like real county lists: who needs it (某人), for what (办某事) and
which proof (开某证明), partly in the 「证明（用途）」 style of the official lists. Fixed seed: the
same n always gives the same rows. Codes are SYN-NNNNNN, never clashing with the seed's CY-ZM-.
"""

from __future__ import annotations

import random

from registry.catalogue.transfer import HEADERS

SEED = 20261125
EFFECTIVE = "2019-06-30"
CODE_PREFIX = "SYN-"

PERSONS = (
    "农村居民", "城镇居民", "退役军人", "在校学生", "残疾人", "外来务工人员", "个体工商户",
    "低保对象", "特困人员", "留守老人", "独生子女家庭", "企业职工", "离退休人员", "失地农民",
    "建档立卡户", "高校毕业生", "进城务工人员", "烈士遗属", "孤儿", "困境儿童", "计生家庭",
    "农民工", "港澳台居民", "华侨", "返乡创业人员", "灵活就业人员", "家政服务人员", "乡村医生",
    "民办教师", "现役军人家属", "重点优抚对象", "失独家庭", "单亲家庭", "刑满释放人员",
    "社区矫正对象", "精神障碍患者监护人", "未成年人监护人", "新就业职工", "外省来长人员",
    "种粮大户",
)  # fmt: skip
MATTERS = (
    "申请廉租房", "办理营业执照", "领取养老金", "申领生育津贴", "办理户口迁移", "申请助学贷款",
    "办理不动产登记", "申请医疗救助", "领取高龄津贴", "申请临时救助", "办理社保转移",
    "申请危房改造", "办理宅基地审批", "申领就业补贴", "申请公积金提取", "办理子女入学",
    "申请法律援助", "办理结婚登记", "领取抚恤金", "申请残疾人补贴", "办理居住证", "申请创业贷款",
    "办理出入境证件", "申领驾驶证", "办理车辆过户", "申请农机补贴", "办理林权登记",
    "申请取水许可", "办理食品经营许可", "申请教师资格", "办理医师执业注册", "申请公租房",
    "领取失业保险金", "办理工伤认定", "申请低保", "办理殡葬补贴", "申请耕地保护补贴",
    "办理土地流转", "申请学生资助", "办理退休审批", "申请价格补贴", "办理燃气开户", "申请水电过户",
    "办理银行开户", "申请保障性住房", "办理房屋租赁备案", "申请特殊困难补助", "办理护照",
    "申请职业技能补贴", "办理老年优待证", "申请计生奖励", "办理独生子女证", "申请见义勇为奖励",
    "办理献血返还", "申请优待金", "办理转学", "申请中考加分", "办理社保卡", "申请医保报销",
    "办理公证",
)  # fmt: skip
KINDS = (
    "收入证明", "居住证明", "无违法证明", "家庭情况证明", "身份证明", "工作证明", "婚姻状况证明",
    "房产情况证明", "无房证明", "困难证明", "户籍证明", "就业证明", "学习经历证明", "健康证明",
    "亲属关系证明", "无欠薪证明", "无争议证明", "品行证明", "赡养情况证明", "财产证明",
    "经营场所证明", "出生证明", "去世情况证明", "病情证明", "务工证明", "土地承包证明",
    "同意证明", "住址变更证明", "无参保证明", "情况说明",
)  # fmt: skip
TOWNS = (
    "蒲东街道", "蒲西街道", "南蒲街道", "蒲北街道", "魏庄街道", "丁栾镇", "樊相镇", "恼里镇",
    "常村镇", "赵堤镇", "孟岗镇", "满村镇", "苗寨镇", "张三寨镇", "佘家镇", "芦岗乡", "武丘乡",
)  # fmt: skip
ISSUERS = ("村（居）民委员会", "乡镇人民政府", "街道办事处", "用人单位", "派出所", "医疗机构")
DEPARTMENTS = (
    "县公安局", "县人力资源和社会保障局", "县民政局", "县卫生健康委员会", "县教育局",
    "县住房和城乡建设局", "县自然资源局", "县不动产登记中心", "县市场监督管理局",
)  # fmt: skip
DOMAINS = ("户籍管理", "社会保险", "社会救助", "教育", "住房保障", "不动产登记", "市场监管", "殡葬")
REPLACEMENTS = ("申请人书面承诺", "数据共享", "部门间核查", "现有证照核验", "直接取消")


def _name(rnd: random.Random) -> tuple[str, str, str, str]:
    """(name, person, matter, kind) in one of four styles seen on published lists."""
    person, matter, kind = rnd.choice(PERSONS), rnd.choice(MATTERS), rnd.choice(KINDS)
    style = rnd.random()
    if style < 0.35:
        name = f"{kind}（{person}{matter}）"
    elif style < 0.6:
        name = f"{person}{matter}{kind}"
    elif style < 0.8:
        name = f"{person}{kind}（{matter}）"
    else:
        name = f"{rnd.choice(TOWNS)}{person}{kind}（{matter}）"
    return name, person, matter, kind


def table(n: int, *, avoid: set[str] | None = None) -> list[list[str]]:
    """Header plus n unique rows; names in `avoid` (exact strings) are skipped."""
    rnd = random.Random(SEED)
    seen = set(avoid or ())
    rows: list[list[str]] = [list(HEADERS)]
    while len(rows) <= n:
        name, person, matter, kind = _name(rnd)
        if name in seen:
            continue
        seen.add(name)
        i = len(rows)
        retained = rnd.random() < 0.08
        aliases = f"{person}{kind}" if rnd.random() < 0.2 else ""
        matters = [matter] + ([rnd.choice(MATTERS)] if rnd.random() < 0.3 else [])
        by = rnd.sample(DEPARTMENTS, rnd.randint(1, 2))
        issuer = rnd.choice(ISSUERS)  # the draws keep this order: same n, same rows
        basis = f"《河南省{rnd.choice(DOMAINS)}条例》第{rnd.randint(3, 60)}条" if retained else ""
        row = {
            "编号": f"{CODE_PREFIX}{i:06d}",
            "证明名称": name,
            "别名": aliases,
            "状态": "保留" if retained else "取消",
            "开具单位": issuer,
            "索要单位": "；".join(by),
            "办理事项": "；".join(dict.fromkeys(matters)),
            "设定依据": basis,
            "依据层级": "地方性法规" if retained else "",
            "所属领域": rnd.choice(DOMAINS),
            "取消后办理方式": "" if retained else rnd.choice(REPLACEMENTS),
            "保留原因": "依据地方性法规设定" if retained else "",
            "决定文号": "长垣县证明事项清理结果（合成数据）",
            "生效日期": EFFECTIVE,
            "备注": "合成数据，仅用于性能测试",
        }
        rows.append([row[h] for h in HEADERS])
    return rows
