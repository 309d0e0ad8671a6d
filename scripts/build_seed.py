#!/usr/bin/env python3
"""Build seed_data/departments.csv, seed_data/certificates.csv and seed_data/SOURCES.md.

Stdlib only.  Run from the repository root:

    python3 scripts/build_seed.py [PATH_TO_certificate-facts.csv] [--out DIR]

The default reference path is ``../shared/reference/certificate-facts.csv``
relative to the repository root; the default output is seed_data/.  Every
curation decision (dropped rows, retained rows, renames, a re-scoped item,
aliases, matters, department mapping, replacement methods, the 2018 wording of
bases, public notes) is an explicit table below, so the output is reproducible
and reviewable.  Public fields never carry the research sources: they go to
SOURCES.md, item code -> sources.  The real Changyuan list was not found; see
seed_data/README.md.
"""

from __future__ import annotations

import argparse
import csv
import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_REF = REPO / ".." / "shared" / "reference" / "certificate-facts.csv"
OUT = REPO / "seed_data"

DECISION_DOC = "长垣县证明事项清理结果（2018）"  # placeholder, real number unknown
EFFECTIVE = "2018-12-28"  # placeholder date

SEP = "；"  # separator of multi-valued cells

# ---------------------------------------------------------------------------
# Departments
# ---------------------------------------------------------------------------
# County bodies: current (post-2019 reform) names with the 2018 "县" prefix,
# used consistently.  Predecessor names in Dec 2018 are noted in README.
COUNTY_DEPTS = [
    "县公安局",
    "县人力资源和社会保障局",
    "县民政局",
    "县卫生健康委员会",
    "县教育局",
    "县住房和城乡建设局",
    "县自然资源局",
    "县不动产登记中心",
    "县市场监督管理局",
    "县司法局",
    "县医疗保障局",
    "县退役军人事务局",
    "县农业农村局",
    "县税务局",
    "县应急管理局",
    "县交通运输局",
    "县财政局",
    "县残疾人联合会",
    "县扶贫开发办公室",
    "县住房公积金管理中心",
    "县烟草专卖局",
    "县政务服务中心",
]

# The 18 乡镇/街道, as reported when 长垣县 became 长垣市 (Aug 2019:
# 5 街道, 11 镇, 2 乡).  Status in Dec 2018 not independently verified (README).
STREETS = ["蒲东街道", "蒲西街道", "蒲北街道", "南蒲街道", "魏庄街道"]
TOWNS = [
    "恼里镇",
    "常村镇",
    "赵堤镇",
    "孟岗镇",
    "满村镇",
    "丁栾镇",
    "樊相镇",
    "方里镇",
    "张三寨镇",
    "佘家镇",
    "苗寨镇",
    "芦岗乡",
    "武邱乡",
]
ALL_TOWNS = STREETS + TOWNS

# ---------------------------------------------------------------------------
# Reference rows left out (172 abolished -> 164).  Keyed by reference name.
# ---------------------------------------------------------------------------
DROP = {
    "车辆购置税完税证明（新能源汽车补贴）": "襄阳市汽车办的市级补贴事项，县里无对应部门",
    "暂住证明（新能源汽车补贴）": "同上（襄阳市级新能源汽车补贴）",
    "车辆接入监控平台证明": "同上（襄阳市级新能源汽车补贴）",
    "婚姻状况证明（结婚登记）": "2003 年《婚姻登记条例》已取消，非 2018 年县级清理事项",
    "婚前医学检查证明": "2003 年《婚姻登记条例》已取消，非 2018 年县级清理事项",
    "验资证明（公司设立登记）": "2014 年注册资本登记制改革已取消，非 2018 年县级清理事项",
    "退耕还林面积证明": "typical 行；长垣为黄河平原县，退耕还林事项不典型",
    "房屋权属证明（农村居民用电报装，村委出具）": "typical 行；索要方为供电企业，不是县政府部门",
}

# ---------------------------------------------------------------------------
# The 9 retained items (certificate-facts.md section 5).  Order = codes 001-009.
# ---------------------------------------------------------------------------
RETAINED = {
    "出生医学证明": dict(
        basis="《中华人民共和国母婴保健法》第二十三条；《中华人民共和国户口登记条例》第七条",
        level="法律",
        demanded_by=["县公安局"],
        matters=["新生儿出生登记（落户）"],
        reason="依据法律设定，出生事实须由助产医疗保健机构依法出具，行政机关无法自行核查",
    ),
    "居民死亡医学证明（推断）书": dict(
        basis="《中华人民共和国户口登记条例》第八条；国卫规划发〔2013〕57号",
        level="法律",
        demanded_by=["县公安局", "县民政局", "殡仪馆"],
        matters=["死亡注销户口", "遗体火化"],
        reason="依据法律设定，死亡及死亡原因须由医疗卫生机构专业认定，行政机关无法自行核查",
    ),
    "非正常死亡证明": dict(
        basis="《中华人民共和国户口登记条例》第八条",
        level="法律",
        demanded_by=["县公安局", "县民政局", "殡仪馆"],
        matters=["非正常死亡注销户口", "非正常死亡遗体火化"],
        reason="依据法律设定，非正常死亡须由公安机关调查认定",
    ),
    "终止或者解除劳动关系的证明": dict(
        basis="《失业保险条例》第十六条",
        level="行政法规",
        demanded_by=["县人力资源和社会保障局"],
        matters=["失业登记", "失业保险金申领"],
        reason="依据行政法规设定，劳动关系终止事实由原用人单位掌握，经办机构无法自行核查",
    ),
    "医疗诊断证明或职业病诊断证明书（工伤认定）": dict(
        basis="《工伤保险条例》第十八条第一款第（三）项",
        level="行政法规",
        demanded_by=["县人力资源和社会保障局"],
        matters=["工伤认定申请"],
        reason="依据行政法规设定，伤情和职业病须由医疗机构、职业病诊断机构专业诊断",
    ),
    "居住地住址、就业、就读证明材料": dict(
        basis="《居住证暂行条例》第九条",
        level="行政法规",
        demanded_by=["县公安局"],
        matters=["居住证申领"],
        reason="依据行政法规设定，居住、就业、就读事实由出租人、用人单位、学校掌握",
    ),
    "婚姻状况和抚养教育能力情况证明（收养）": dict(
        basis="《中国公民收养子女登记办法》第五条第一款第（二）项",
        level="行政法规",
        demanded_by=["县民政局"],
        matters=["收养登记"],
        reason="依据国务院批准的行政法规设定，收养人婚姻状况和抚养教育能力须由所在单位或村（居）委会出具",
    ),
    "经济困难证明（法律援助）": dict(
        basis="《法律援助条例》第十七条第一款第（二）项",
        level="行政法规",
        demanded_by=["县司法局", "法律援助机构"],
        matters=["申请代理法律援助", "申请刑事辩护法律援助"],
        reason="依据行政法规设定，申请人经济困难状况须由有关机关出具证明",
    ),
    "能够证明符合烟花爆竹零售经营条件的有关材料": dict(
        basis="《烟花爆竹安全管理条例》第十九条",
        level="行政法规",
        demanded_by=["县应急管理局"],
        matters=["烟花爆竹经营（零售）许可"],
        reason="依据行政法规设定，经营场所、安全条件须由申请人提供材料供许可机关审查",
    ),
}

# What SOURCES.md says about a retained item beyond its sources.
RETAINED_SOURCE_NOTE = {
    "居民死亡医学证明（推断）书": "办理事项含遗体火化，与 CY-ZM-058 的改动相应",
    "婚姻状况和抚养教育能力情况证明（收养）": (
        "仓库文件名中的 2019-03-02 不是条文日期：文件所载为 1999 年发布的文本，"
        "第五条第一款第（二）项 2018 年有效"
    ),
    "经济困难证明（法律援助）": (
        "2022 年起《中华人民共和国法律援助法》施行，取代《法律援助条例》："
        "这一变化应作为新的决定以新版本导入，不改本行"
    ),
}

# ---------------------------------------------------------------------------
# Renames (disambiguation / naming pattern).  reference name -> seed name.
# ---------------------------------------------------------------------------
# The five Xiangyang ride-hailing (网约车) driver proofs get their matter in
# parentheses, to tell them apart from the taxi-driver item.
RIDE_HAILING = [
    "无交通肇事犯罪、危险驾驶犯罪记录证明",
    "无吸毒记录证明",
    "无饮酒后驾驶记录证明",
    "最近连续三个记分周期内无记满12分记录证明",
    "无暴力犯罪记录证明",
]
RENAME = {n: n + "（网约车驾驶员从业资格）" for n in RIDE_HAILING}

# Re-scoped item.  The reference's Xiangyang item (the funeral home's demand for
# the death medical certificate at cremation, abolished) says the opposite of the
# retained CY-ZM-002: at cremation the funeral home keeps the certificate's 殡葬
# copy (国卫规划发〔2013〕57号), and cremation without a death certificate is not
# allowed.  The same certificate for the same matter cannot be both, so the
# abolished item is narrowed to the repeated demand after cremation (骨灰寄存、
# 安葬 go by the 火化证明).  This narrowing is the reconstruction's, not the source's.
RESCOPED = "死亡医学证明（殡仪馆火化环节）"
RENAME[RESCOPED] = "死亡医学证明（骨灰寄存、安葬）"
RESCOPE_NOTE = (
    "来源是襄阳市取消殡仪馆在火化环节索要死亡医学证明。它与保留的 CY-ZM-002"
    "（居民死亡医学证明（推断）书，用于注销户口和遗体火化）说的是同一证明、同一事项，"
    "结论相反。本表保留 CY-ZM-002（火化时殡仪馆留存该证明的殡葬联，国卫规划发〔2013〕57号），"
    "把本项改为火化之后骨灰寄存、安葬环节的重复索要（凭火化证明办理）。"
    "改动后的事项范围是重建的推断，来源没有写到"
)

# ---------------------------------------------------------------------------
# Aliases (colloquial names), keyed by seed name.  Each alias on one item only.
# ---------------------------------------------------------------------------
ALIASES = {
    # retained
    "出生医学证明": ["出生证", "医学出生证明"],
    "居民死亡医学证明（推断）书": ["死亡医学证明书", "医学死亡证明"],
    "非正常死亡证明": ["公安死亡证明"],
    "终止或者解除劳动关系的证明": ["离职证明", "解除劳动合同证明"],
    "医疗诊断证明或职业病诊断证明书（工伤认定）": ["工伤诊断证明", "职业病诊断书"],
    "居住地住址、就业、就读证明材料": ["居住证申领证明材料"],
    "婚姻状况和抚养教育能力情况证明（收养）": ["收养能力证明"],
    "经济困难证明（法律援助）": ["法律援助经济困难证明", "法援困难证明"],
    "能够证明符合烟花爆竹零售经营条件的有关材料": [
        "烟花爆竹零售许可条件证明材料",
        "烟花爆竹零售条件证明",
    ],
    # abolished
    "无犯罪记录证明（村居出具）": ["良民证", "无犯罪证明", "无犯罪记录证明", "无违法犯罪证明"],
    "无犯罪记录证明（教师资格认定）": ["教师资格无犯罪证明"],
    "户籍证明（城乡居民医保参保登记）": ["户口证明"],
    "健在证明": ["生存证明", "活着证明", "生存认证证明"],
    "高龄老人健在证明": ["高龄津贴生存证明"],
    "婚姻登记记录证明/无婚姻登记记录证明": ["单身证明", "无婚姻登记记录证明", "婚姻登记记录证明"],
    "婚姻状况证明（村居出具）": ["婚姻状况证明", "已婚证明"],
    "未婚证明（一孩生育登记）": ["未婚声明"],
    "住房证明（公租房申请）": ["住房情况证明"],
    "无房证明（公租房申请）": ["无房证明", "无房产证明"],
    "收入证明（城乡低保申请）": ["收入证明"],
    "收入证明（住房公积金贷款）": ["工资收入证明"],
    "家庭收入证明（临时救助）": ["家庭收入证明"],
    "贫困家庭证明": ["贫困证明", "困难证明"],
    "家庭经济困难证明（学生资助，民政盖章）": ["贫困生证明", "家庭困难证明"],
    "亲属关系证明": ["亲属证明", "关系证明"],
    "居民身份信息证明": ["身份证明"],
    "居民就业状况证明": ["无业证明", "就业证明"],
    "居民财产证明": ["财产证明"],
    "证件遗失证明": ["丢失证明"],
    "疾病状况证明": ["生病证明"],
    "残疾状况证明": ["残疾证明"],
    "婚育状况证明": ["婚育证明"],
    "常住人口居住证明": ["居住证明", "住址证明"],
    "失业证明（失业登记）": ["失业证明"],
    "独生子女证明（退休时独生子女父母一次性奖励）": ["独生子女证明"],
    "生育服务证（新生儿出生登记）": ["准生证", "生育证"],
    "计划生育证明（个体工商户登记）": ["计生证明"],
    "无参加邪教及无涉毒证明": ["无邪教证明"],
    "在读证明（在校生补助）": ["在校证明", "学籍证明"],
    "车辆来历证明（无发票电动车、摩托车登记，村委出具）": ["车辆来历证明"],
    "市场主体住所证明": ["住所证明", "经营场所证明"],
    "曾用名证明": ["同一人证明"],
    "出生证明（村居出具）": ["村里出生证明"],
    "死亡证明（村居出具）": ["村里死亡证明"],
}

# ---------------------------------------------------------------------------
# Matters: default is the reference `matter` text as one value; these rows are
# split into specific matters.  Keyed by seed name.
# ---------------------------------------------------------------------------
MATTERS = {
    "亲属关系证明": ["户口投靠", "继承", "领取待遇等涉及亲属关系的事项"],
    "无犯罪记录证明（村居出具）": ["就业", "出国（境）"],
    "人员失踪证明": ["宣告失踪", "注销户口"],
    "婚姻状况证明（村居出具）": ["购房", "贷款", "登记"],
    "出生证明（村居出具）": ["补办出生医学证明", "出生登记"],
    "死亡证明（村居出具）": ["注销户口", "停发待遇", "殡葬"],
    "疾病状况证明": ["救助", "请假", "保险理赔"],
    "残疾状况证明": ["残疾人补贴", "残疾人救助"],
    "婚育状况证明": ["生育登记", "计划生育奖励扶助"],
    "居民就业状况证明": ["失业登记", "低保", "就业补贴"],
    "居民个人档案证明": ["档案查询", "工龄认定"],
    "居民财产证明": ["救助", "贷款", "诉讼"],
    "遗产继承权证明": ["继承过户", "存款提取"],
    "市场主体住所证明": ["市场主体设立登记", "市场主体变更登记"],
    "缴费票据遗失证明": ["补办报销", "退费"],
    "再婚证明": ["再生育", "婚姻相关事项"],
    "无子女证明": ["计生奖扶", "特困供养"],
    "家庭经济困难证明（学生资助，民政盖章）": ["家庭经济困难学生认定", "生源地信用助学贷款"],
    "房屋租赁登记备案证明": ["入学", "居住证申领"],
    "无参加邪教及无涉毒证明": ["报名", "资格审核"],
    "户口注销证明（城乡居民养老保险待遇终止）": ["居民养老保险待遇终止", "丧葬补助金申领"],
    "养老保险参保登记证明": ["证明养老保险参保登记"],
    "未参保证明（社保关系转移接续）": ["养老保险关系转移接续", "医疗保险关系转移接续"],
    "计划生育证明（生育保险待遇）": ["生育医疗费申领", "生育津贴申领"],
    "离校未就业证明": ["高校毕业生就业见习", "求职补贴"],
    "死亡医学证明（骨灰寄存、安葬）": ["骨灰寄存", "骨灰安葬"],
    "亲属关系证明（遗体火化、骨灰领取）": ["遗体火化签字", "骨灰领取"],
    "死亡证明（丧葬补助金、抚恤金领取）": ["丧葬补助金领取", "抚恤金领取"],
    "种植面积证明（耕地地力保护补贴）": ["耕地地力保护补贴发放"],
    "居住证明（随迁子女入学）": ["义务教育阶段入学"],
}

# ---------------------------------------------------------------------------
# 索要单位: reference token -> seed values (department names or free text).
# Bodies run by a county department (殡仪馆, 学校, 医疗机构 …) also name it,
# so that the site can filter the item by department.
# ---------------------------------------------------------------------------
POLICE = ["县公安局"]
HRSS = ["县人力资源和社会保障局"]
CIVIL = ["县民政局"]
HEALTH = ["县卫生健康委员会"]
EDU = ["县教育局"]
TOKEN_MAP = {
    "不动产登记": ["县不动产登记中心"],
    "不动产登记机构": ["县不动产登记中心"],
    "不动产登记机构等": ["县不动产登记中心"],
    "乡镇人民政府": ALL_TOWNS,
    "乡镇农经站": TOWNS,
    "交通运输局": ["县交通运输局"],
    "县交通运输局": ["县交通运输局"],
    "市客管处": ["县交通运输局"],
    "人民法院": ["人民法院"],
    "法院": ["人民法院"],
    "法院等机关": ["人民法院"],
    "人社": HRSS,
    "人社部门": HRSS,
    "人社等）": HRSS,
    "县人社局": HRSS,
    "县人社局公共就业服务机构": HRSS,
    "县人社局（社会保险行政部门）": HRSS,
    "人社劳动保障监察机构": HRSS,
    "社保": HRSS,
    "社保经办机构": HRSS,
    "社会保险经办机构": HRSS,
    "转入地社保经办机构": HRSS,
    "职业技能鉴定（评价）机构": [*HRSS, "职业技能鉴定（评价）机构"],
    "企事业单位": ["企事业单位"],
    "住房公积金管理中心": ["县住房公积金管理中心"],
    "公安": POLICE,
    "公安交通管理部门": POLICE,
    "公安户籍部门": POLICE,
    "公安机关": POLICE,
    "公安机关（养犬登记）": POLICE,
    "公安派出所": POLICE,
    "公安禁毒部门": POLICE,
    "公安等部门": POLICE,
    "出入境管理部门等": POLICE,
    "公益性公墓管理单位": [*CIVIL, "公益性公墓管理单位"],
    "公证等机构": ["公证机构"],
    "创业担保贷款担保机构": ["创业担保贷款担保机构"],
    "助产医疗机构": [*HEALTH, "助产医疗机构"],
    "医疗机构": [*HEALTH, "医疗机构"],
    "血站": [*HEALTH, "血站"],
    "预防接种单位": [*HEALTH, "预防接种单位"],
    "定点医疗机构": ["县医疗保障局", "定点医疗机构"],
    "医保": ["县医疗保障局"],
    "医保经办机构": ["县医疗保障局"],
    "卫健等部门": HEALTH,
    "卫健部门": HEALTH,
    "卫生健康": HEALTH,
    "卫生健康部门": HEALTH,
    "现居住地卫健部门": HEALTH,
    "原单位": ["原单位"],
    "县住建局": ["县住房和城乡建设局"],
    "县住建局（房管）": ["县住房和城乡建设局"],
    "基层房管所": ["县住房和城乡建设局"],
    "房产": ["县住房和城乡建设局"],
    "县农业农村局": ["县农业农村局"],
    "县学生资助管理中心": EDU,
    "县应急管理局": ["县应急管理局"],
    "应急管理部门": ["县应急管理局"],
    "县林业部门": ["县自然资源局"],
    "县残联": ["县残疾人联合会"],
    "残联": ["县残疾人联合会"],
    "县民政局": CIVIL,
    "县民政局（收养登记机关）": CIVIL,
    "民政": CIVIL,
    "民政部门": CIVIL,
    "民政等部门": CIVIL,
    "婚姻登记机关": CIVIL,
    "救助": CIVIL,
    "资助部门": EDU,
    "县烟草专卖局": ["县烟草专卖局"],
    "县退役军人事务局": ["县退役军人事务局"],
    "各类办事机构": ["县政务服务中心", "其他办事机构"],
    "学校": [*EDU, "学校"],
    "学校等发证机关": [*EDU, "学校等发证机关"],
    "市场监管等部门": ["县市场监督管理局"],
    "市场监管部门": ["县市场监督管理局"],
    "市场监管部门（原工商）": ["县市场监督管理局"],
    "市场监管部门（监督检查）": ["县市场监督管理局"],
    "市属部门（教育": EDU,
    "市慈善总会": [*CIVIL, "慈善总会"],
    "扶贫部门": ["县扶贫开发办公室"],
    "承保保险机构": ["承保保险机构"],
    "教育": EDU,
    "教育局": EDU,
    "教育招生部门": EDU,
    "教育等部门": EDU,
    "教育行政部门": EDU,
    "教育部门": EDU,
    "殡仪馆": [*CIVIL, "殡仪馆"],
    "殡葬单位": [*CIVIL, "殡仪馆"],
    "法律援助机构": ["县司法局", "法律援助机构"],
    "用人单位": ["用人单位"],
    "用工单位": ["用工单位"],
    "税务部门": ["县税务局"],
    "财政局": ["县财政局"],
    "银行": ["银行"],
    "银行等": ["银行"],
}
# Rows whose reference demanders name no county body: explicit county body.
DEMAND_EXTRA = {
    "健康证明（村居出具）": ["县公安局"],  # 交通事故处理 (公安交通管理部门)
    "死亡医学证明（骨灰寄存、安葬）": ["公益性公墓管理单位"],
}
# The reference's replacement text, replaced where the item was re-scoped.
REPLACEMENT_DETAIL = {
    "死亡医学证明（骨灰寄存、安葬）": "凭殡仪馆出具的火化证明办理，火化记录由殡仪馆内部核查",
}

# ---------------------------------------------------------------------------
# 取消后办理方式: method keywords.  Rule-based from the reference wording,
# with explicit overrides where the rules would misread it.
# ---------------------------------------------------------------------------
METHODS = [
    "直接取消",
    "申请人书面承诺",
    "告知承诺制",
    "部门间核查",
    "数据共享",
    "现有证照核验",
    "调整开具单位",
]
# 办理方式类型 (issue 15): the kind of the method the list's text names first, as the import
# format writes it (registry/catalogue/models.py REPLACEMENT_KINDS labels).
METHOD_KIND = {
    "直接取消": "直接取消",
    "申请人书面承诺": "告知承诺",
    "告知承诺制": "告知承诺",
    "部门间核查": "部门间核查",
    "数据共享": "数据共享核验",
    "现有证照核验": "证照核验",
    "调整开具单位": "其他",
}
METHOD_OVERRIDE = {
    "亲属关系证明": ["现有证照核验", "部门间核查", "调整开具单位"],
    "居民身份信息证明": ["现有证照核验", "数据共享"],
    "户口登记项目内容变更申请证明": ["部门间核查"],
    "无犯罪记录证明（村居出具）": ["调整开具单位", "部门间核查"],
    "社区戒毒社区康复人员情况证明（表现证明）": ["部门间核查"],
    "人员失踪证明": ["部门间核查"],
    "出生证明（村居出具）": ["调整开具单位"],
    "健在证明": ["数据共享"],
    "死亡证明（村居出具）": ["调整开具单位", "数据共享"],
    "疾病状况证明": ["调整开具单位"],
    "残疾状况证明": ["现有证照核验", "数据共享"],
    "居民个人档案证明": ["调整开具单位"],
    "居民财产证明": ["数据共享"],
    "遗产继承权证明": ["现有证照核验"],
    "市场主体住所证明": ["申请人书面承诺", "现有证照核验"],
    "缴费票据遗失证明": ["调整开具单位"],
    "转学证明（村居出具）": ["数据共享"],
    "参加社保缴费证明": ["调整开具单位"],
    "养老保险参保登记证明": ["调整开具单位"],
    "留守儿童证明": ["数据共享", "部门间核查"],
    "再婚证明": ["数据共享", "部门间核查"],
    "无子女证明": ["数据共享", "部门间核查"],
    "入学证明": ["现有证照核验"],
    "贫困家庭证明": ["现有证照核验"],
    "学生申请助学金证明": ["现有证照核验"],
    "收入证明（城乡低保申请）": ["申请人书面承诺", "部门间核查"],
    "家庭收入情况证明（慈善救助）": ["直接取消", "部门间核查"],
    "股东情况证明（公司合并、分立）": ["数据共享"],
    "收入证明（公租房申请）": ["直接取消", "数据共享"],
    "住房证明（公租房申请）": ["直接取消", "数据共享"],
    "资本交易涉税事项办结通知单": ["数据共享"],
    "死亡医学证明（骨灰寄存、安葬）": ["现有证照核验", "数据共享"],
    "房屋租赁登记备案证明": ["数据共享"],
    "亲属关系证明（参保人死亡待遇申领）": ["现有证照核验", "部门间核查"],
    "健康证明（村居出具）": ["调整开具单位"],
    "婚姻登记记录证明/无婚姻登记记录证明": ["直接取消", "申请人书面承诺", "数据共享"],
    "婚姻状况证明（补领结婚证、离婚证）": ["部门间核查"],
    "创业经营场所证明（创业担保贷款）": ["现有证照核验"],
    "户籍证明（职业技能培训补贴）": ["现有证照核验"],
    "欠薪情况证明": ["直接取消", "部门间核查"],
    "任职年限证明（职称申报）": ["部门间核查", "数据共享"],
    "出生时间户籍证明（退休审批）": ["部门间核查"],
    "意外伤害无第三方责任证明": ["申请人书面承诺", "部门间核查"],
    "工龄证明（视同缴费年限认定）": ["部门间核查"],
    "无劳动能力证明（特困人员认定）": ["现有证照核验", "部门间核查"],
    "无法定赡养（抚养、扶养）义务人证明": ["数据共享", "部门间核查"],
    "存款证明（低保申请）": ["数据共享"],
    "父母死亡证明（孤儿基本生活费）": ["数据共享", "部门间核查"],
    "受灾证明（自然灾害生活救助）": ["部门间核查"],
    "赡养人收入证明（低保申请）": ["申请人书面承诺", "数据共享"],
    "亲属关系证明（投靠落户）": ["数据共享", "现有证照核验"],
    "无户口证明（补录户口）": ["部门间核查"],
    "租房证明（居住证申领，村居盖章）": ["现有证照核验"],
    "曾用名证明": ["现有证照核验", "数据共享"],
    "低保证明（困难群众殡葬救助）": ["部门间核查"],
    "亲属关系证明（遗体火化、骨灰领取）": ["现有证照核验", "申请人书面承诺"],
    "计划生育情况证明（农村部分计划生育家庭奖励扶助）": ["数据共享", "部门间核查"],
    "流动人口婚育证明": ["直接取消", "数据共享"],
    "亲属关系证明（献血者亲属用血费用返还）": ["现有证照核验", "申请人书面承诺"],
    "居住证明（随迁子女入学）": ["现有证照核验", "数据共享"],
    "务工就业证明（随迁子女入学）": ["现有证照核验", "数据共享"],
    "家庭经济困难证明（学生资助，民政盖章）": ["申请人书面承诺", "部门间核查"],
    "户籍证明（中考报名）": ["现有证照核验", "数据共享"],
    "无房证明（住房公积金租房提取）": ["数据共享", "申请人书面承诺"],
    "亲属关系证明（不动产继承登记）": ["部门间核查", "申请人书面承诺"],
    "房屋来源证明（宅基地上房屋首次登记）": ["部门间核查"],
    "契税完税证明（不动产转移登记）": ["数据共享"],
    "经营场所使用证明（个体工商户登记，村居盖章）": ["申请人书面承诺"],
    "农民身份证明（农民专业合作社设立）": ["现有证照核验"],
    "种植面积证明（耕地地力保护补贴）": ["数据共享", "部门间核查"],
    "流转面积证明（种粮大户补贴）": ["现有证照核验", "数据共享"],
    "养殖场地证明（畜禽养殖场备案）": ["现有证照核验", "申请人书面承诺"],
    "经营者身份证明（家庭农场名录）": ["现有证照核验"],
    "服役证明（农村籍退役士兵老年生活补助）": ["部门间核查"],
    "在乡复员退伍军人身份证明": ["数据共享", "部门间核查"],
    "事故经过证明（工伤认定，村委出具）": ["直接取消", "部门间核查"],
    "大病证明（医疗救助，村委出具）": ["现有证照核验", "数据共享"],
    "分户证明（村委同意分户）": ["直接取消"],
    "林木权属证明（林木采伐，村委出具）": ["数据共享"],
    "经营场所证明（烟草专卖零售许可，村委出具）": ["申请人书面承诺"],
    "宅基地使用权无争议证明": ["部门间核查"],
    "烈士遗属身份证明（村委出具）": ["数据共享", "部门间核查"],
    "未领取其他养老待遇证明": ["数据共享"],
    "外伤证明": ["直接取消"],
    "常住人口居住证明": ["直接取消"],
    "参加高考证明": ["直接取消"],
    "思想品德鉴定证明（教师资格认定）": ["告知承诺制"],
    "无犯罪记录证明（教师资格认定）": ["告知承诺制"],
    "初中以上学历证明（保安员证核发）": ["告知承诺制"],
    "房屋交易网签备案证明（不动产转移登记）": ["数据共享"],
    "门牌地址变更证明（不动产变更登记）": ["数据共享"],
    "姓名/身份证号变更证明（不动产变更登记）": ["数据共享"],
    "土地出让金缴纳证明": ["数据共享"],
    "火化证明（死亡注销户口）": ["数据共享"],
    "户籍证明（惠民殡葬补贴）": ["现有证照核验", "数据共享"],
    "户籍证明（城乡居民养老保险待遇领取）": ["现有证照核验", "数据共享"],
    "死亡证明（丧葬补助金、抚恤金领取）": ["数据共享"],
    "独生子女死亡/伤残证明（计划生育特别扶助）": ["数据共享"],
    "独生子女证明（退休时独生子女父母一次性奖励）": ["现有证照核验", "数据共享"],
    "周边居民同意证明（小餐饮登记）": ["直接取消"],
    "灵活就业证明": ["申请人书面承诺", "数据共享"],
    "失能证明（经济困难失能老人护理补贴）": ["调整开具单位"],
    "受灾证明（农业保险理赔）": ["直接取消"],
}


def rule_methods(text: str) -> list[str]:
    """Fallback mapping of reference wording to method keywords."""
    t = text
    found: list[str] = []
    if "直接取消" in t:
        found.append("直接取消")
    if "告知承诺" in t:
        found.append("告知承诺制")
    if re.search(r"书面承诺|书面声明|声明|(?<!告知)承诺", t):
        found.append("申请人书面承诺")
    if "部门间核查" in t or "调查" in t or "部门内部" in t:
        found.append("部门间核查")
    if re.search(r"共享|信息核查|系统|平台|比对|核对|查询|数据", t):
        found.append("数据共享")
    if re.search(r"证照|户口簿|身份证|有效证件|残疾人证|营业执照|结婚证|合同", t):
        found.append("现有证照核验")
    if re.search(r"调整为由|改由|由.{1,12}(出具|开具)", t):
        found.append("调整开具单位")
    return [m for m in METHODS if m in found]


# ---------------------------------------------------------------------------
# 依据层级 of abolished items.
# ---------------------------------------------------------------------------
LEVEL_OVERRIDE = {
    "思想品德鉴定证明（教师资格认定）": "规范性文件",
    "无犯罪记录证明（教师资格认定）": "法律",  # 资格条件见教师法第十四条，证明改为告知承诺
    "初中以上学历证明（保安员证核发）": "行政法规",  # 资格条件见保安服务管理条例
}


def abolished_level(name: str, basis: str) -> str:
    if name in LEVEL_OVERRIDE:
        return LEVEL_OVERRIDE[name]
    if re.search(r"皖民社救字", basis):
        return "规范性文件"
    return "无"


def clean(text: str) -> str:
    """Single-valued free text: no bare `;`/`；` (they separate multi-values)."""
    return re.sub(r"\s*[；;]\s*", "，", text.strip())


# ---------------------------------------------------------------------------
# 设定依据 as it stood in Changyuan in 2018.  The reference often names the
# list an item came from (a 2020 national list, another province's catalogue, a
# city's notice); that is provenance, not the item's basis, and a 2020 document
# cannot be the basis of a 2018 decision.  Rewritten by pattern on the
# reference text; what was rewritten and why goes to SOURCES.md.
# ---------------------------------------------------------------------------
VILLAGE_BASIS = "无法律、行政法规或国务院决定依据（由村（居）民委员会出具，办事部门自行要求）"
COUNTY_BASIS = "无法律、行政法规或国务院决定依据（县级部门自设）"
BASIS_REWRITE = [
    (
        r"^无法律法规依据；列入民发〔2020〕20号.*$",
        VILLAGE_BASIS,
        "原依据写“列入民发〔2020〕20号清单”：该文件 2020 年印发，晚于 2018-12-28，"
        "改写为 2018 年时的状况",
    ),
    (
        r"^无法律法规依据；列入湖北省.*$",
        VILLAGE_BASIS,
        "原依据写“列入湖北省清单（第一批）”：外省文件，且晚于 2018 年，改写为 2018 年时的状况",
    ),
    (
        r"^无法律法规依据；列入《浙江省.*$",
        VILLAGE_BASIS,
        "原依据写浙江省 2023 版清单：外省文件，且晚于 2018 年，改写为 2018 年时的状况",
    ),
    (
        r"^无设定依据；列入《青海省.*》（村居无法开具）$",
        "无设定依据（乡镇、村（社区）自行出具，但并不掌握参保信息）",
        "原依据写“列入青海省目录（村居无法开具）”：外省文件，不是长垣的依据，改写为事实描述",
    ),
    (
        r"^无设定依据；列入《青海省.*$",
        "无设定依据（乡镇、村（社区）自行出具）",
        "原依据写“列入青海省目录”：外省文件，不是长垣的依据，改写为事实描述",
    ),
    (
        r"^市级部门自设（市政府办公室通知予以取消）(.*)$",
        COUNTY_BASIS + r"\1",
        "原为襄阳市级事项（市政府办公室通知取消），改写为县级部门自设，索要单位换成长垣县对应部门",
    ),
    (
        r"^市级部门自设$",
        COUNTY_BASIS,
        "原为广州市级事项，改写为县级部门自设，索要单位换成长垣县对应部门",
    ),
    (
        r"^《安徽省城乡最低生活保障工作操作规程》.*$",
        "省级民政部门规范性文件（城乡最低生活保障工作操作规程）要求提供",
        "原依据是安徽省文件（皖民社救字〔2016〕185号第二十条第一款），改写为省级民政部门规范性文件",
    ),
    (
        r"^《安徽省临时救助工作操作规程》.*$",
        "省级民政部门规范性文件（临时救助工作操作规程）要求提供",
        "原依据是安徽省文件（皖民社救字〔2017〕117号第十四条），改写为省级民政部门规范性文件",
    ),
]


def basis_2018(raw: str) -> tuple[str, str]:
    """(the basis as it stood in 2018, what was changed and why or "")."""
    for pattern, repl, why in BASIS_REWRITE:
        if re.match(pattern, raw):
            return clean(re.sub(pattern, repl, raw)), why
    return clean(raw), ""


# ---------------------------------------------------------------------------
# 备注: a public note that names the document and tells the reader something
# useful.  Never a source, never a web address.
# ---------------------------------------------------------------------------
NOTE_RETAINED = (
    "依国办发〔2018〕47号清理后保留：只能在“办理事项”所列事项中要求提供，办其他事不得要求。"
)
NOTE_ABOLISHED = "依国办发〔2018〕47号清理取消：办事部门不得再要求提供，按“取消后办理方式”办理。"
NOTE_ABOLISHED_LOCAL = (
    "依国办发〔2018〕47号清理取消：办事部门不得再要求提供，"
    "村（居）民委员会和乡镇（街道）也不再为此开具证明。"
)
LOCAL_ISSUER = re.compile(r"村|居委|居）|社区|乡镇|街道")
NOTE_OVERRIDE = {
    "居民死亡医学证明（推断）书": (
        "依国办发〔2018〕47号清理后保留：注销户口、遗体火化用同一份证明的不同联次"
        "（国卫规划发〔2013〕57号），不需要另开死亡证明。"
    ),
    "死亡医学证明（骨灰寄存、安葬）": (
        "依国办发〔2018〕47号清理取消：遗体火化时殡仪馆已留存死亡医学证明，"
        "骨灰寄存、安葬凭火化证明办理，不得再要求提供死亡医学证明。"
    ),
}


def public_note(name: str, status: str, issuer: str) -> str:
    if name in NOTE_OVERRIDE:
        return NOTE_OVERRIDE[name]
    if status == "保留":
        return NOTE_RETAINED
    return NOTE_ABOLISHED_LOCAL if LOCAL_ISSUER.search(issuer) else NOTE_ABOLISHED


# ---------------------------------------------------------------------------
# SOURCES.md: what each research source is.  A source without a label stops the
# build, so every address in SOURCES.md is explained.
# ---------------------------------------------------------------------------
SOURCE_LABELS = {
    "http://mzj.cnbz.gov.cn/zdxx/flfg/15366031.html": "民政部等六部门 民发〔2020〕20号"
    "《不应由基层群众性自治组织出具证明事项清单（第一批）》（2020，转载）",
    "http://www.handmsg.com/page/2020/0511/7993567.shtml": "同上清单的新闻转载（2020）",
    "http://m-jingzhou.cjyun.org/p/301730.html": "湖北省不应由基层群众性自治组织出具证明事项清单"
    "（第一批，2020，新闻稿）",
    "http://cdmrb.com.cn/pc/201802/05/c7496.html": "青海省 青政〔2018〕8号 取消的基层证明事项目录"
    "（177 项，2018，新闻稿）",
    "http://18522802179.com/n152/n168/c54297/content.html": "安徽省民政厅取消的 4 项社会救助证明"
    "（转载）",
    "http://www.zgnt.net/jhwbszb/pc/c/202401/25/content_162238.html": "安徽村（社区）证明清理"
    "（2024 年报道）",
    "https://xiangyang.cjyun.org/p/208830.html": "襄阳市 2019 年取消的 16 项市级证明（新闻稿）",
    "https://zsj.gz.gov.cn/ztgz/mtbd/content/post_3015559.html": "广州市 2018 年取消的 33 项证明"
    "（新闻稿）",
    "http://highrising-s.com/show-22.html": "浙江省涉村（社区）事项清单（2023 版，转载）",
    "http://m.dingqianjf.com/news/show/236/1481472_0.html": "江苏省证明事项告知承诺制第一批"
    "（2020，转载）",
    "https://yy.chazidian.com/mip/show-285319": "民政部 2015 年停止出具（无）婚姻登记记录证明"
    "（转载）",
    "http://happycsj.com/html/system20180109000533236.html": "成都市保留证明事项清单（转载）",
    "http://chibi.gov.cn/xxgk/xxgkml/sxqd/202305/t20230529_3099995.shtml": "赤壁市保留证明事项"
    "清单（2023）",
    "https://soolun.net/periodical/12098a187d0343d8192c80717b8c604e.html": "转述网页（出生医学证明"
    "的依据），条文另对照法规原文",
    "https://mdkpw.com/jingyan/5vz47l.html": "转述网页（出生医学证明办理），条文另对照法规原文",
    "https://w.sf024.com/info/1817950440619614828.html": "转述网页（死亡医学证明的用途）",
    "http://senbk.com/techan/55cb851e3204ac22c9dee0c5ad76eaa5.html": "转述网页（死亡证明与火化、"
    "注销户口）",
}
TYPICAL = "典型事项：按各地清单中的常见事项归纳，无单一出处，也不表示长垣确有此项"


def source_lines(src: str) -> list[str]:
    out = []
    for part in (p.strip() for p in src.split(";")):
        if not part:
            continue
        if part == "typical":
            out.append(TYPICAL)
        elif part.startswith("LawRefBook/Laws:"):
            title = Path(part.split(":", 1)[1]).stem.split("(")[0]
            out.append(f"《{title}》原文（LawRefBook/Laws 仓库 `{part.split(':', 1)[1]}`）")
        elif part in SOURCE_LABELS:
            out.append(f"{SOURCE_LABELS[part]} <{part}>")
        else:
            raise SystemExit(f"source without a label in SOURCE_LABELS: {part}")
    return out


def uniq(seq):
    out = []
    for x in seq:
        if x not in out:
            out.append(x)
    return out


def demanded(name: str, raw: str) -> list[str]:
    vals: list[str] = []
    for tok in re.split(r"[、，,]", raw):
        tok = tok.strip()
        if not tok:
            continue
        if tok not in TOKEN_MAP:
            raise SystemExit(f"unmapped 索要单位 token {tok!r} in {name}")
        vals.extend(TOKEN_MAP[tok])
    vals = DEMAND_EXTRA.get(name, []) + vals
    # county departments first, then towns/streets, then free-text bodies
    county = [v for v in vals if v in COUNTY_DEPTS]
    towns = [v for v in vals if v in ALL_TOWNS]
    others = [v for v in vals if v not in COUNTY_DEPTS and v not in ALL_TOWNS]
    return uniq(county) + uniq(towns) + uniq(others)


HEADER = [
    "编号",
    "证明名称",
    "别名",
    "状态",
    "开具单位",
    "索要单位",
    "办理事项",
    "设定依据",
    "依据层级",
    "所属领域",
    "取消后办理方式",
    "办理方式类型",
    "保留原因",
    "决定文号",
    "生效日期",
    "备注",
]


def retained_row(ref_name: str, r: dict[str, str], spec: dict) -> tuple[dict[str, str], list[str]]:
    name = RENAME.get(ref_name, ref_name)
    row = {
        "证明名称": name,
        "别名": SEP.join(ALIASES.get(name, [])),
        "状态": "保留",
        "开具单位": clean(r["issuer"]),
        "索要单位": SEP.join(spec["demanded_by"]),
        "办理事项": SEP.join(spec["matters"]),
        "设定依据": spec["basis"],
        "依据层级": spec["level"],
        "所属领域": r["domain"],
        "取消后办理方式": "",
        "办理方式类型": "",
        "保留原因": spec["reason"],
    }
    changes = ["名称和依据来自出处，依据写 2018 年有效的条文；索要单位、办理事项按县级部门填写"]
    if ref_name in RETAINED_SOURCE_NOTE:
        changes.append(RETAINED_SOURCE_NOTE[ref_name])
    return row, changes


def abolished_row(r: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    name = RENAME.get(r["name"], r["name"])
    changes = []
    if name != r["name"]:
        changes.append(f"原名“{r['name']}”")
    if r["name"] == RESCOPED:
        changes.append(RESCOPE_NOTE)
    detail = clean(REPLACEMENT_DETAIL.get(name, r["replacement"]))
    methods = METHOD_OVERRIDE.get(name) or rule_methods(r["replacement"])
    if not methods:
        raise SystemExit(f"no replacement method for {name}: {r['replacement']}")
    repl = "、".join(methods)
    if detail and detail != repl:
        repl += "：" + detail
    basis, why = basis_2018(r["legal_basis"])
    if why:
        changes.append(why)
    row = {
        "证明名称": name,
        "别名": SEP.join(ALIASES.get(name, [])),
        "状态": "取消",
        "开具单位": clean(r["issuer"]),
        "索要单位": SEP.join(demanded(name, r["demanded_by"])),
        "办理事项": SEP.join(clean(m) for m in MATTERS.get(name, [r["matter"]])),
        "设定依据": basis,
        "依据层级": abolished_level(name, r["legal_basis"]),
        "所属领域": r["domain"],
        "取消后办理方式": repl,
        "办理方式类型": METHOD_KIND[methods[0]],
        "保留原因": "",
    }
    return row, changes


def build_rows(ref: list[dict[str, str]]) -> list[tuple[dict[str, str], dict[str, str], list[str]]]:
    """(seed row, reference row, what the reconstruction changed) in code order."""
    by_name = {r["name"]: r for r in ref}
    for n in list(DROP) + list(RETAINED) + [RESCOPED]:
        if n not in by_name:
            raise SystemExit(f"reference row not found: {n}")
    out = []
    for ref_name, spec in RETAINED.items():  # retained first, in RETAINED order
        r = by_name[ref_name]
        assert r["status"] == "retained", ref_name
        out.append((*retained_row(ref_name, r, spec), r))
    for r in ref:
        if r["status"] == "abolished" and r["name"] not in DROP:
            out.append((*abolished_row(r), r))
    names = {row["证明名称"] for row, _, _ in out}
    for name in ALIASES:
        if ALIASES[name] and name not in names:
            raise SystemExit(f"alias table names unknown item {name}")
    result = []
    for i, (row, changes, r) in enumerate(out, 1):
        row["编号"] = f"CY-ZM-{i:03d}"
        row["决定文号"] = DECISION_DOC
        row["生效日期"] = EFFECTIVE
        row["备注"] = public_note(row["证明名称"], row["状态"], row["开具单位"])
        result.append((row, r, changes))
    return result


def md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def write_sources(path: Path, rows) -> None:
    lines = [
        "# seed_data/SOURCES.md — 每个证明事项的研究出处",
        "",
        "由 `scripts/build_seed.py` 生成，请勿手改（改脚本里的表格，再重新生成）。",
        "",
        "`certificates.csv` 是长垣县 2018 年清单的**代表性重建**（见 `README.md`）。"
        "下表逐项记录重建时参考的资料：它们是同一轮清理中**其他地方**公布的清单、新闻稿、"
        "转载页和法规原文，**不是**长垣县的文件，因此不写进任何公开字段（`备注` 只写文件依据和"
        "对群众有用的说明）。“重建时的改动”一栏说明本表与参考资料不同的地方。"
        "参考资料全文及可信度说明见 `../shared/reference/certificate-facts.md`、"
        "`certificate-facts.csv`（研究笔记，不在本仓库内）。",
        "",
        "| 编号 | 证明名称 | 出处 | 重建时的改动 |",
        "|---|---|---|---|",
    ]
    for row, r, changes in rows:
        sources = "<br>".join(md_cell(s) for s in source_lines(r["source"]))
        lines.append(
            f"| {row['编号']} | {md_cell(row['证明名称'])} | {sources} | "
            f"{md_cell('；'.join(changes)) or '—'} |"
        )
    lines += [
        "",
        "## 参考资料中没有采用的行",
        "",
        "| 参考行 | 理由 |",
        "|---|---|",
    ]
    lines += [f"| {md_cell(n)} | {md_cell(why)} |" for n, why in DROP.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def build(ref_path: Path, out: Path = OUT) -> None:
    with ref_path.open(encoding="utf-8-sig", newline="") as f:
        ref = list(csv.DictReader(f))
    rows = build_rows(ref)

    out.mkdir(parents=True, exist_ok=True)
    with (out / "certificates.csv").open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.DictWriter(f, fieldnames=HEADER, lineterminator="\r\n")
        w.writeheader()
        w.writerows(row for row, _, _ in rows)

    with (out / "departments.csv").open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(["编码", "名称", "类型"])
        for i, n in enumerate(COUNTY_DEPTS, 1):
            w.writerow([f"CY-BM-{i:03d}", n, "county"])
        for i, n in enumerate(ALL_TOWNS, 1):
            w.writerow([f"CY-XZ-{i:02d}", n, "street" if n in STREETS else "town"])

    write_sources(out / "SOURCES.md", rows)
    print(
        f"wrote {len(rows)} certificates, {len(COUNTY_DEPTS) + len(ALL_TOWNS)} departments "
        f"and SOURCES.md to {out}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reference", nargs="?", type=Path, default=DEFAULT_REF)
    parser.add_argument("--out", type=Path, default=OUT, help="output directory (seed_data/)")
    args = parser.parse_args()
    build(args.reference.resolve(), args.out.resolve())
