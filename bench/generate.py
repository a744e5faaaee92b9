"""A deterministic scaled corpus for the benchmarks, made from the bundled documents.

`generate(folder, n, seed)` writes `n` policy documents (the five bundled ones first, then
synthetic ones) as UTF-8 .txt files plus a `manifest.toml` in the format of
`corpus/documents/manifest.toml`, so `corpus.load_corpus(folder)` and the build take it
as they take the bundled corpus.

Every synthetic document is a recombination of bundled provisions, perturbed so that each
stage of the pipeline has real work to do:

- **places and levels**: each document belongs to a level (national, provincial,
  municipal, county) and a real place; text taken from a document of another place or level
  is rewritten for it (广东省 → 湖南省, 东莞市 → 株洲市, 全省 → 全市, 省教育厅 → 市教育局,
  东莞市财政局 → 佛山市财政局, other cities of the province → cities of this one);
- **departments**: municipal and county items get bracketed responsibility lists
  ("（市人力资源社会保障局、市财政局）", "（区教育局牵头，区财政局配合）") with sectors swapped,
  provincial documents an annexed task table ("省教育厅牵头，省财政厅……按职责分工负责");
- **numbers and years**: quantities with units and target-table cells are scaled, years
  shifted with the plan period (十四五 → 十五五);
- **wording**: synonym swaps, two clauses exchanged, a clause dropped;
- **alignment**: lower-level documents restate (perturbed) sections of a higher-level
  document of their own province (or the national plan), and cite it, the way real plans
  take each other up without saying where;
- **layout**: most documents are written like Word extractions (one paragraph per line),
  some hard-wrapped like PDF extractions, some with a notice cover (印发通知).

Determinism: document *i* depends only on the seed and the documents before it, so the
first 200 documents of a 2,000-document corpus are the 200-document corpus, and
document 2,001 is "one more document" for the incremental-add measurement.

    python -m bench.generate OUT_DIR -n 200 [--seed 7]
"""
from __future__ import annotations

import argparse
import copy
import hashlib
import random
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from policykg.corpus.loader import load_corpus
from policykg.corpus.manifest import bundled_dir
from policykg.corpus.records import Document, Provision

DEFAULT_SEED = 7

# ---- places (real names; the pairing of districts and cities follows the map) -----------

_PLACES = """
广东省 广东 粤
  广州 天河区 海珠区 番禺区 花都区 增城区 黄埔区 白云区 从化区
  深圳 南山区 福田区 宝安区 龙岗区 龙华区 坪山区 光明区
  佛山 南海区 顺德区 禅城区 三水区 高明区
  惠州 惠城区 惠阳区 博罗县 惠东县 龙门县
  江门 蓬江区 江海区 新会区
  清远 清城区 清新区 佛冈县 阳山县
  珠海 汕头 韶关 湛江 肇庆 茂名 梅州 汕尾 河源 阳江 东莞 中山 潮州 揭阳 云浮
湖南省 湖南 湘
  长沙 芙蓉区 天心区 岳麓区 开福区 雨花区 望城区 长沙县
  株洲 荷塘区 芦淞区 石峰区 天元区 渌口区 攸县 茶陵县
  湘潭 衡阳 邵阳 岳阳 常德 张家界 益阳 郴州 永州 怀化 娄底
湖北省 湖北 鄂
  武汉 江岸区 江汉区 硚口区 汉阳区 武昌区 青山区 洪山区 江夏区 黄陂区 新洲区
  宜昌 西陵区 伍家岗区 点军区 夷陵区 远安县 兴山县 秭归县
  黄石 十堰 襄阳 鄂州 荆门 孝感 荆州 黄冈 咸宁 随州
江苏省 江苏 苏
  南京 玄武区 秦淮区 建邺区 鼓楼区 浦口区 栖霞区 江宁区 六合区 溧水区 高淳区
  苏州 姑苏区 虎丘区 吴中区 相城区 吴江区
  无锡 徐州 常州 南通 连云港 淮安 盐城 扬州 镇江 泰州 宿迁
浙江省 浙江 浙
  杭州 上城区 拱墅区 西湖区 滨江区 萧山区 余杭区 富阳区 临安区 桐庐县 淳安县
  宁波 海曙区 江北区 北仑区 镇海区 鄞州区 奉化区 象山县 宁海县
  温州 嘉兴 湖州 绍兴 金华 衢州 舟山 台州 丽水
山东省 山东 鲁
  济南 历下区 槐荫区 天桥区 历城区 长清区 章丘区 平阴县 商河县
  青岛 市南区 市北区 黄岛区 崂山区 李沧区 城阳区 即墨区
  淄博 枣庄 东营 烟台 潍坊 济宁 泰安 威海 日照 临沂 德州 聊城 滨州 菏泽
河南省 河南 豫
  郑州 中原区 二七区 金水区 上街区 惠济区 中牟县
  洛阳 老城区 西工区 涧西区 偃师区 孟津区 洛龙区 新安县 栾川县 汝阳县 宜阳县 洛宁县 伊川县
  开封 平顶山 安阳 鹤壁 新乡 焦作 濮阳 许昌 漯河 三门峡 南阳 商丘 信阳 周口 驻马店
四川省 四川 川
  成都 锦江区 青羊区 金牛区 武侯区 成华区 龙泉驿区 新都区 温江区 双流区 郫都区 金堂县 大邑县 蒲江县
  绵阳 涪城区 游仙区 安州区 三台县 盐亭县 梓潼县 平武县
  自贡 攀枝花 泸州 德阳 广元 遂宁 内江 乐山 南充 眉山 宜宾 广安 达州 雅安 巴中 资阳
福建省 福建 闽
  福州 台江区 仓山区 马尾区 晋安区 长乐区 闽侯县 连江县 罗源县 闽清县 永泰县
  泉州 鲤城区 丰泽区 洛江区 泉港区 惠安县 安溪县 永春县 德化县
  厦门 莆田 三明 漳州 南平 龙岩 宁德
江西省 江西 赣
  南昌 东湖区 青云谱区 青山湖区 新建区 红谷滩区 南昌县 安义县 进贤县
  赣州 章贡区 南康区 赣县区 信丰县 大余县 上犹县 崇义县 安远县 定南县 全南县 宁都县 于都县 兴国县
  景德镇 萍乡 九江 新余 鹰潭 吉安 宜春 抚州 上饶
安徽省 安徽 皖
  合肥 瑶海区 庐阳区 蜀山区 包河区 长丰县 肥东县 肥西县 庐江县
  芜湖 蚌埠 淮南 马鞍山 淮北 铜陵 安庆 黄山 滁州 阜阳 宿州 六安 亳州 池州 宣城
河北省 河北 冀
  石家庄 长安区 桥西区 新华区 裕华区 藁城区 鹿泉区 栾城区 井陉县 正定县
  唐山 秦皇岛 邯郸 邢台 保定 张家口 承德 沧州 廊坊 衡水
广西壮族自治区 广西 桂
  南宁 兴宁区 青秀区 江南区 西乡塘区 良庆区 邕宁区 武鸣区 隆安县 马山县 上林县 宾阳县
  柳州 城中区 鱼峰区 柳南区 柳北区 柳江区 柳城县 鹿寨县 融安县
  桂林 梧州 北海 防城港 钦州 贵港 玉林 百色 贺州 河池 来宾 崇左
陕西省 陕西 陕
  西安 新城区 碑林区 莲湖区 灞桥区 未央区 雁塔区 阎良区 临潼区 高陵区 鄠邑区 蓝田县 周至县
  铜川 宝鸡 咸阳 渭南 延安 汉中 榆林 安康 商洛
云南省 云南 云
  昆明 五华区 盘龙区 官渡区 西山区 东川区 呈贡区 晋宁区 富民县 宜良县 嵩明县
  曲靖 玉溪 保山 昭通 丽江 普洱 临沧
贵州省 贵州 黔
  贵阳 南明区 云岩区 花溪区 乌当区 观山湖区 开阳县 息烽县 修文县
  六盘水 遵义 安顺 毕节 铜仁
辽宁省 辽宁 辽
  沈阳 和平区 沈河区 大东区 皇姑区 铁西区 浑南区 于洪区 辽中区 康平县 法库县
  大连 鞍山 抚顺 本溪 丹东 锦州 营口 阜新 辽阳 盘锦 铁岭 朝阳 葫芦岛
山西省 山西 晋
  太原 小店区 迎泽区 杏花岭区 尖草坪区 万柏林区 晋源区 清徐县 阳曲县 娄烦县
  大同 阳泉 长治 晋城 朔州 晋中 运城 忻州 临汾 吕梁
"""


@dataclass(frozen=True)
class Province:
    full: str
    short: str
    abbr: str
    cities: tuple[str, ...]                       # short names: 佛山
    counties: dict = field(default_factory=dict)  # city short → (districts/counties…)


def _parse_places(table: str) -> dict[str, Province]:
    provinces: dict[str, Province] = {}
    current = None
    for line in table.splitlines():
        if not line.strip():
            continue
        if not line.startswith(" "):
            full, short, abbr = line.split()
            current = dict(full=full, short=short, abbr=abbr, cities=[], counties={})
            provinces[full] = current
            continue
        words = line.split()
        if len(words) > 1 and words[1].endswith(("区", "县")):
            current["cities"].append(words[0])
            current["counties"][words[0]] = tuple(words[1:])
        else:
            current["cities"].extend(words)
    return {k: Province(v["full"], v["short"], v["abbr"], tuple(v["cities"]), v["counties"])
            for k, v in provinces.items()}


PROVINCES = _parse_places(_PLACES)


@dataclass(frozen=True)
class Place:
    """Where a document belongs: its level and the place names a text uses for it."""

    level: str
    province: Province | None = None
    city: str | None = None        # short: 佛山
    county: str | None = None      # full: 南海区

    @property
    def prefix(self) -> str:
        """The one-character prefix of a body's short name: 省教育厅, 市财政局, 区人社局."""
        return {"national": "", "provincial": "省", "municipal": "市"}.get(
            self.level, (self.county or "区")[-1])

    @property
    def full(self) -> str:
        if self.level == "national":
            return "全国"
        if self.level == "provincial":
            return self.province.full
        if self.level == "municipal":
            return f"{self.city}市"
        return self.county

    @property
    def short(self) -> str:
        if self.level == "county":
            stem = self.county[:-1]
            return stem if len(stem) >= 2 else self.county
        return {"national": "全国", "provincial": self.province.short if self.province else "",
                "municipal": self.city}[self.level]

    @property
    def region(self) -> str:
        if self.level == "county":
            return f"{self.city}市{self.county}"
        return self.full


# What the bundled documents are about (their manifest says so; the generator needs it to
# rewrite their text for another place).
GUANGDONG = PROVINCES["广东省"]
BUNDLED_PLACES = {
    "national": Place("national"),
    "provincial": Place("provincial", GUANGDONG),
    "municipal": Place("municipal", GUANGDONG, "东莞"),
}

# ---- level words and departments -----------------------------------------------------------

_LEVEL_WORDS = {
    # whole, our, leaders, grade, government, body words
    "national": ("全国", "我国", "党中央、国务院", "国家级"),
    "provincial": ("全省", "我省", "省委、省政府", "省级"),
    "municipal": ("全市", "我市", "市委、市政府", "市级"),
    "区": ("全区", "我区", "区委、区政府", "区级"),
    "县": ("全县", "我县", "县委、县政府", "县级"),
}


def _level_key(place: Place) -> str:
    return place.prefix if place.level == "county" else place.level


# (stem, provincial suffix, municipal suffix, ministry) — how each line names its bodies.
SECTORS = (
    ("人力资源社会保障", "厅", "局", "人力资源社会保障部"),
    ("人力资源和社会保障", "厅", "局", None),
    ("人社", "厅", "局", "人社部"),
    ("教育", "厅", "局", "教育部"),
    ("财政", "厅", "局", "财政部"),
    ("发展改革", "委", "局", "国家发展改革委"),
    ("科技", "厅", "局", "科技部"),
    ("工业和信息化", "厅", "局", "工业和信息化部"),
    ("自然资源", "厅", "局", "自然资源部"),
    ("住房城乡建设", "厅", "局", "住房城乡建设部"),
    ("农业农村", "厅", "局", "农业农村部"),
    ("商务", "厅", "局", "商务部"),
    ("卫生健康", "委", "局", "国家卫生健康委"),
    ("民政", "厅", "局", "民政部"),
    ("交通运输", "厅", "局", "交通运输部"),
    ("文化和旅游", "厅", "局", "文化和旅游部"),
    ("市场监管", "局", "局", "市场监管总局"),
    ("国资", "委", "委", "国务院国资委"),
    ("税务", "局", "局", "税务总局"),
    ("退役军人事务", "厅", "局", "退役军人事务部"),
)
# Sectors that take part in technical-education tasks, the first most often.
TASK_SECTORS = ("人力资源社会保障", "教育", "财政", "发展改革", "工业和信息化", "科技",
                "国资", "商务", "农业农村", "卫生健康", "自然资源", "住房城乡建设", "市场监管",
                "民政", "退役军人事务")
_SECTOR = {s[0]: s for s in SECTORS}


def body_name(stem: str, place: Place, full: bool = False) -> str:
    """A body's name as a text at `place` writes it: 市财政局, 省发展改革委, 佛山市财政局."""
    _, psfx, msfx, ministry = _SECTOR[stem]
    if place.level == "national":
        return ministry or f"{stem}部"
    suffix = psfx if place.level == "provincial" else msfx
    return f"{place.full if full else place.prefix}{stem}{suffix}"


# ---- rewriting text for another place and level ---------------------------------------------

class Rewriter:
    """One pass of whole-string substitutions, longest first, never applied twice."""

    def __init__(self, mapping: dict[str, str]):
        # Identity entries stay: they protect a longer string from a shorter rule
        # (人力资源社会保障部门 is not 人力资源社会保障部 + 门).
        self.mapping = {k: v for k, v in mapping.items() if k}
        keys = sorted(self.mapping, key=len, reverse=True)
        self.pattern = re.compile("|".join(map(re.escape, keys))) if keys else None

    def __call__(self, text: str) -> str:
        if self.pattern is None:
            return text
        return self.pattern.sub(lambda m: self.mapping[m.group(0)], text)


def place_rewriter(src: Place, dst: Place, rng: random.Random) -> Rewriter:
    m: dict[str, str] = {}
    if _level_key(src) != _level_key(dst):
        for a, b in zip(_LEVEL_WORDS[_level_key(src)], _LEVEL_WORDS[_level_key(dst)]):
            m[a] = b
        sp, dp = src.prefix, dst.prefix
        if sp and dp:
            for tail in ("委", "政府", "人民政府", "委办公室", "政府办公室", "属", "内", "外",
                         "直有关部门", "有关部门", "财政", "本级"):
                m[sp + tail] = dp + tail
        if src.level == "provincial" and dst.level in ("municipal", "county"):
            m["各地级以上市"] = "各镇街（园区）" if dst.level == "municipal" else "各乡镇（街道）"
            m["地级以上市"] = "镇街"
        if src.level == "national" and dst.level != "national":
            m["各省（区、市）"] = "各地"
        if dst.level == "national" and src.level != "national":
            m[src.full] = "各地"
            m[src.short] = "各地"
    # Bodies: 省教育厅 → 市教育局, 东莞市财政局 → 佛山市财政局.
    for stem, psfx, msfx, ministry in SECTORS:
        src_suffixes = {"provincial": (psfx,), "municipal": (msfx,), "national": ()}.get(
            src.level, (msfx,))
        for sfx in src_suffixes:
            short_src = f"{src.prefix}{stem}{sfx}"
            m[short_src] = body_name(stem, dst) if src.level != dst.level or \
                src.prefix != dst.prefix else short_src
            if src.level != "national":
                m[f"{src.full}{stem}{sfx}"] = body_name(stem, dst, full=True)
        if src.level == "national" and ministry and dst.level != "national":
            m[ministry + "门"] = ministry + "门"         # 人力资源社会保障部门 stays
            m[ministry] = body_name(stem, dst)
    # Places: the province, the city, the other cities of the province.
    if src.level != "national" and dst.level != "national":
        if src.province and dst.province and src.province != dst.province:
            m[src.province.full] = dst.province.full
            m[src.province.short] = dst.province.short
        if src.level in ("municipal", "county"):
            target = dst.full if dst.level in ("municipal", "county") else \
                f"{rng.choice(dst.province.cities)}市"
            m[src.full] = target
            m[src.short] = target[:-1] if len(target) > 2 else target
        if src.province and dst.province:
            others = [c for c in src.province.cities if c not in (src.city, dst.city)]
            pool = [c for c in dst.province.cities if c != dst.city]
            rng.shuffle(pool)
            if src.province == dst.province:
                pool = others[:]
                rng.shuffle(pool)
            for a, b in zip(others, pool * (len(others) // max(len(pool), 1) + 1)):
                m[f"{a}市"] = f"{b}市"
                m[a] = b
            if dst.level == "county" and dst.city and src.city != dst.city:
                m[f"{dst.city}市"] = f"{dst.city}市"
    elif src.level == "national" and dst.level != "national":
        m["全国"] = _LEVEL_WORDS[_level_key(dst)][0]
    return Rewriter(m)


# ---- numbers, years, wording ------------------------------------------------------------------

_QTY = re.compile(r"(?<![\d.〔\[])(\d+(?:\.\d+)?)(\s*)(%|万人次|万人|万名|万元|万|亿元|所|个|名|"
                  r"人次|人|家|项|门|本|支|套|批|类|场|倍|家次)")
_YEAR = re.compile(r"(?<!\d)(20[0-4]\d)(?=\s*(?:年|〕|\]|］|-|—|－|～|至))")
_CELL = re.compile(r"^(\[?)(≥|≤|>|<)?(\d+(?:\.\d+)?)(\]?)$")
_FIVE_YEAR = ("十一五", "十二五", "十三五", "十四五", "十五五", "十六五")


def _scale(value: str, rng: random.Random, low=0.6, high=1.5) -> str:
    x = float(value) * rng.uniform(low, high)
    if "." in value:
        digits = len(value.split(".")[1])
        return f"{x:.{digits}f}"
    if value.endswith("00") and x >= 100:
        return str(max(100, int(round(x, -2))))
    return str(max(1, int(round(x))))


def perturb_numbers(text: str, rng: random.Random, p: float = 0.7) -> str:
    def qty(m: re.Match) -> str:
        if rng.random() > p:
            return m.group(0)
        value = _scale(m.group(1), rng)
        if m.group(3) == "%" and float(value) > 100:
            value = m.group(1)
        return value + m.group(2) + m.group(3)
    return _QTY.sub(qty, text)


def perturb_cell(cell: str, rng: random.Random, percent: bool = False) -> str:
    m = _CELL.match(cell.strip())
    if not m:
        return cell
    value = _scale(m.group(3), rng, 0.7, 1.4)
    if percent and float(value) > 100:
        value = m.group(3)
    return f"{m.group(1)}{m.group(2) or ''}{value}{m.group(4)}"


def shift_years(text: str, delta: int) -> str:
    if not delta:
        return text
    text = _YEAR.sub(lambda m: str(int(m.group(1)) + delta), text)
    steps = delta // 5
    if steps:
        names = {n: _FIVE_YEAR[i + steps] for i, n in enumerate(_FIVE_YEAR)
                 if 0 <= i + steps < len(_FIVE_YEAR)}
        text = re.sub("|".join(names), lambda m: names[m.group(0)], text)
    return text


# Near-synonyms of policy prose, swapped both ways.
SYNONYMS = (("加强", "强化"), ("推进", "推动"), ("完善", "健全"), ("提升", "提高"),
            ("积极", "大力"), ("逐步", "稳步"), ("鼓励", "支持"), ("扩大", "拓展"),
            ("显著", "明显"), ("切实", "扎实"), ("培育", "培养"), ("进一步", "持续"),
            ("建立", "构建"), ("优化", "调整"), ("加快", "加速"), ("有关", "相关"),
            ("实施", "推行"), ("重要", "关键"), ("统筹", "协调"), ("制定", "出台"),
            ("引导", "指导"), ("各类", "各种"), ("充分发挥", "有效发挥"), ("不断", "持续"),
            ("深入", "全面"), ("着力", "致力"), ("打造", "建成"), ("探索", "尝试"),
            ("落实", "执行"), ("开展", "组织"), ("坚持", "始终坚持"), ("形成", "构建起"),
            ("紧密", "密切"), ("加大", "增加"), ("确保", "保证"), ("广泛", "普遍"),
            ("做好", "抓好"), ("提供", "给予"), ("明确", "清晰"), ("有效", "切实有效"))
_SYN: dict[str, list[str]] = {}
for _a, _b in SYNONYMS:
    _SYN.setdefault(_a, []).append(_b)
    _SYN.setdefault(_b, []).append(_a)
_SYN_RE = re.compile("|".join(sorted(_SYN, key=len, reverse=True)))
# Openers a plan puts before a clause to make it its own.
OPENERS = ("结合{place}实际，", "立足{place}产业发展需要，", "按照{place}统一部署，",
           "围绕{place}重点产业，", "聚焦{place}发展需求，")


def _clauses(sentence: str) -> list[str]:
    """The sentence cut at top-level commas (never inside brackets or quotes)."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(sentence):
        if ch in "（(《“":
            depth += 1
        elif ch in "）)》”":
            depth = max(0, depth - 1)
        elif ch == "，" and depth == 0:
            out.append(sentence[start:i])
            start = i + 1
    out.append(sentence[start:])
    return out


def reword(text: str, rng: random.Random, p: float, syn_p: float = 0.5,
           place: str = "") -> str:
    """In about `p` of sentences: synonym swaps (each candidate word with chance `syn_p`),
    two clauses exchanged or a clause dropped, now and then a local opener."""
    parts = re.split(r"(?<=[。；！？])", text)
    out = []
    for sentence in parts:
        if not sentence or rng.random() > p:
            out.append(sentence)
            continue
        sentence = _SYN_RE.sub(lambda m: rng.choice(_SYN[m.group(0)]) if rng.random() < syn_p
                               else m.group(0), sentence)
        end = sentence[-1] if sentence[-1] in "。；！？" else ""
        body = sentence[:-1] if end else sentence
        cl = _clauses(body)
        r = rng.random()
        if len(cl) >= 4 and r < 0.3:
            del cl[rng.randrange(1, len(cl) - 1)]
        elif len(cl) >= 3 and r < 0.7:
            i = rng.randrange(1, len(cl) - 1)
            cl[i], cl[i + 1] = cl[i + 1], cl[i]
        if place and len(cl) >= 2 and rng.random() < 0.15:
            i = rng.randrange(1, len(cl))
            cl[i] = rng.choice(OPENERS).format(place=place)[:-1] + "，" + cl[i]
        out.append("，".join(cl) + end)
    return "".join(out)


def mix_sentences(paras: list[str], donor: list[str], rng: random.Random) -> list[str]:
    """A paragraph list with some sentences left out and one borrowed from elsewhere."""
    out = []
    for para in paras:
        sents = [x for x in re.split(r"(?<=[。；！？])", para) if x]
        if len(sents) > 2:
            kept = [x for x in sents if rng.random() > 0.15] or sents[:1]
            sents = kept
        out.append("".join(sents))
    donor_sents = [x for para in donor for x in re.split(r"(?<=。)", para) if len(x) > 12]
    if out and donor_sents and rng.random() < 0.4:
        i = rng.randrange(len(out))
        sents = [x for x in re.split(r"(?<=[。；！？])", out[i]) if x]
        sents.insert(rng.randrange(len(sents) + 1), rng.choice(donor_sents))
        out[i] = "".join(sents)
    return out


# ---- the provision tree the generator works on -----------------------------------------------

@dataclass
class Node:
    kind: str
    head: str = ""                      # the marker line's text after the marker
    body: list[str] = field(default_factory=list)
    children: list["Node"] = field(default_factory=list)
    cells: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)

    def walk(self) -> Iterator["Node"]:
        yield self
        for c in self.children:
            yield from c.walk()

    def texts(self) -> Iterator[str]:
        for n in self.walk():
            yield n.head
            yield from n.body
            yield from n.cells


_MARKER = {
    "chapter": re.compile(r"^[一二三四五六七八九十百零〇两]{1,4}\s*、\s*"),
    "section": re.compile(r"^[（(]\s*[\d一二三四五六七八九十百零〇两]{1,4}\s*[）)]\s*"),
    "item": re.compile(r"^\d{1,2}\s*[.．、]\s*"),
    "subitem": re.compile(r"^[（(]\s*\d{1,2}\s*[）)]\s*"),
    "point": re.compile(r"^[①-⑳]\s*"),
    "box": re.compile(r"^专栏\s*\d{1,2}\s*[：:．.、]?\s*"),
    "annex": re.compile(r"^(附件\s*\d{0,2}|附)\s*[：:]?\s*"),
}


def node_of(p: Provision, by_id: dict[str, Provision]) -> Node:
    lines = [ln for ln in p.own_text.split("\n") if ln.strip()]
    node = Node(p.kind)
    if p.kind == "table":
        node.columns = list(p.columns)
        node.body = lines[1:]
    elif p.kind == "table_row":
        node.cells = list(p.cells)
    elif p.kind == "paragraph":
        node.body = lines
    else:
        first = lines[0] if lines else ""
        marker = _MARKER.get(p.kind)
        node.head = marker.sub("", first, count=1) if marker else first
        node.body = lines[1:]
        if p.kind == "annex" and not node.head and node.body:
            node.head, node.body = node.body[0], node.body[1:]
    node.children = [node_of(by_id[c], by_id) for c in p.children if c in by_id]
    return node


@dataclass
class Source:
    """A provision subtree and the place its text is written for."""

    place: Place
    node: Node


@dataclass
class Pool:
    chapters: list[Source]
    sections: list[Source]
    preambles: list[Source]
    indicator_boxes: list[Source]
    closings: list[Source]


def build_pool(docs: list[Document]) -> Pool:
    pool = Pool([], [], [], [], [])
    for doc in docs:
        place = BUNDLED_PLACES[doc.meta.level]
        by_id = doc.by_id()
        roots = [p for p in doc.provisions if p.parent is None]
        seen_chapter = False
        for p in roots:
            if p.kind == "chapter":
                seen_chapter = True
                node = node_of(p, by_id)
                pool.chapters.append(Source(place, node))
                for sec in node.children:
                    if sec.kind == "section":
                        pool.sections.append(Source(place, sec))
                    for box in sec.walk():
                        if box.kind == "box" and any(n.kind == "table" for n in box.walk()):
                            pool.indicator_boxes.append(Source(place, box))
            elif p.kind == "paragraph" and not p.path.endswith("notice"):
                text = p.own_text
                if len(text) < 60:
                    continue
                (pool.closings if seen_chapter else pool.preambles).append(
                    Source(place, node_of(p, by_id)))
    return pool


# ---- documents --------------------------------------------------------------------------------

LEVEL_WEIGHTS = (("national", 0.03), ("provincial", 0.17), ("municipal", 0.5), ("county", 0.3))
TOPICS = ("技工教育高质量发展", "深化产教融合推动技工教育高质量发展", "技能人才队伍建设",
          "高技能人才培养", "职业技能提升行动", "技师学院建设", "现代职业教育体系建设改革",
          "校企合作促进技能人才培养", "技工院校办学能力提升", "“技能强市”建设",
          "技能型社会建设", "职业教育与技工教育融合发展")
KINDS = ("规划", "实施方案", "工作方案", "行动计划", "实施意见", "若干措施")


@dataclass
class Planned:
    """A generated document: its metadata, its tree (kept to be restated below) and text."""

    index: int
    file: str
    place: Place
    title: str
    number: str
    issuer: str
    date: str
    period: tuple[int, int]
    status: str
    chapters: list[Node]
    text: str

    def manifest_fields(self) -> dict:
        return {"title": self.title, "number": self.number, "issuer": self.issuer,
                "level": self.place.level, "region": self.place.region, "date": self.date,
                "status": self.status, "period": f"{self.period[0]}-{self.period[1]}"}


CN_NUM = "零一二三四五六七八九"
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"


def cn(n: int) -> str:
    if n < 10:
        return CN_NUM[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else CN_NUM[tens]) + "十" + (CN_NUM[ones] if ones else "")


class Generator:
    def __init__(self, seed: int = DEFAULT_SEED, docs: list[Document] | None = None):
        self.seed = seed
        self.bundled = docs if docs is not None else load_corpus()
        self.pool = build_pool(self.bundled)
        self.made: list[Planned] = []
        self.numbers: set[str] = {d.meta.number for d in self.bundled if d.meta.number}
        # The bundled documents as parents for the first synthetic ones.
        self.parents: list[tuple[Place, str, str | None, list[Node]]] = []
        for d in self.bundled:
            if d.meta.level in ("national", "provincial"):
                by_id = d.by_id()
                chapters = [node_of(p, by_id) for p in d.provisions
                            if p.parent is None and p.kind == "chapter"]
                self.parents.append((BUNDLED_PLACES[d.meta.level], d.meta.title,
                                     d.meta.number, chapters))

    # -- choices -----------------------------------------------------------------------------
    def _place(self, rng: random.Random, level: str) -> Place:
        if level == "national":
            return Place("national")
        prov = PROVINCES[rng.choice(sorted(PROVINCES))]
        if level == "provincial":
            return Place("provincial", prov)
        if level == "municipal":
            return Place("municipal", prov, rng.choice(prov.cities))
        city = rng.choice(sorted(prov.counties))
        return Place("county", prov, city, rng.choice(prov.counties[city]))

    def _parent(self, rng: random.Random, place: Place):
        """A higher-level document this one takes up: its province's, else the national."""
        if place.level == "national":
            return None
        cands = []
        for made in self.made:
            p = made.place
            higher = (p.level == "national" or
                      (p.level == "provincial" and place.level in ("municipal", "county")
                       and p.province == place.province) or
                      (p.level == "municipal" and place.level == "county"
                       and p.province == place.province and p.city == place.city))
            if higher:
                cands.append((p, made.title, made.number, made.chapters))
        for par in self.parents:
            p = par[0]
            if p.level == "national" or (p.province == place.province and
                                         place.level in ("municipal", "county")):
                cands.append(par)
        # Prefer the nearest level above.
        rank = {"national": 0, "provincial": 1, "municipal": 2}
        best = max(rank[c[0].level] for c in cands)
        near = [c for c in cands if rank[c[0].level] == best]
        return rng.choice(near if rng.random() < 0.8 else cands)

    def _number(self, rng: random.Random, place: Place, year: int) -> str:
        if place.level == "national":
            prefix = rng.choice(("人社部发", "人社部函", "教职成", "人社厅发"))
        elif place.level == "provincial":
            prefix = place.province.abbr + rng.choice(("人社发", "人社函", "府办", "教职"))
        elif place.level == "municipal":
            prefix = place.city[0] + rng.choice(("人社发", "人社", "府办", "府"))
        else:
            prefix = place.county[0] + rng.choice(("人社发", "府办", "人社"))
        while True:
            number = f"{prefix}〔{year}〕{rng.randint(1, 400)}号"
            if number not in self.numbers:
                self.numbers.add(number)
                return number

    def _issuer(self, rng: random.Random, place: Place) -> str:
        if place.level == "national":
            return rng.choice(("人力资源社会保障部", "人力资源社会保障部", "教育部"))
        gov = "人民政府" if rng.random() < 0.3 else None
        if gov:
            return place.full + gov if place.level != "county" else \
                f"{place.city}市{place.county}人民政府"
        return body_name("人力资源和社会保障", place, full=True) if place.level != "county" \
            else f"{place.full}人力资源和社会保障局"

    # -- text ------------------------------------------------------------------------------
    def _adapt(self, node: Node, src: Place, dst: Place, rng: random.Random, delta: int,
               reword_p: float, syn_p: float = 0.5, donor: Node | None = None) -> Node:
        """A copy of `node` rewritten for `dst`: place, numbers, years, wording (and,
        given a donor, sentences left out and one borrowed from the donor)."""
        rewrite = place_rewriter(src, dst, rng)
        node = copy.deepcopy(node)
        fix = lambda t, p: self._fix(t, rewrite, rng, delta, p, syn_p, dst.short)  # noqa: E731
        for n in node.walk():
            n.head = fix(n.head, reword_p * 0.3)
            body = n.body
            if donor is not None and body and n.kind in ("section", "item", "chapter"):
                body = mix_sentences(body, list(donor.texts()), rng)
            n.body = [fix(b, reword_p) for b in body]
            if n.cells:
                pct = "%" in n.cells[0]
                n.cells = [perturb_cell(shift_years(rewrite(c), delta), rng, pct) for c in n.cells]
            n.columns = [shift_years(c, delta) for c in n.columns]
        return node

    @staticmethod
    def _fix(text: str, rewrite, rng, delta, reword_p, syn_p=0.5, place="") -> str:
        text = shift_years(rewrite(text), delta)
        text = perturb_numbers(text, rng)
        return reword(text, rng, reword_p, syn_p, place) if reword_p else text

    def _departments(self, rng: random.Random, place: Place) -> str:
        k = rng.choice((1, 1, 2, 2, 2, 3, 3, 4))
        stems = [TASK_SECTORS[0] if rng.random() < 0.6 else rng.choice(TASK_SECTORS)]
        while len(stems) < k:
            s = rng.choice(TASK_SECTORS)
            if s not in stems:
                stems.append(s)
        names = [body_name(s, place, full=rng.random() < 0.08) for s in stems]
        r = rng.random()
        if k > 1 and r < 0.25:
            return f"（{names[0]}牵头，{'、'.join(names[1:])}配合）"
        if r < 0.35 and place.level == "municipal":
            return f"（{'、'.join(names)}，各镇街（园区））"
        return f"（{'、'.join(names)}）"

    def _swap_sectors(self, text: str, rng: random.Random, place: Place) -> str:
        """Another sector for some participants of a trailing bracketed list."""
        m = re.search(r"（([^（）]{4,80})）$", text)
        if not m or place.level in ("national", "provincial"):
            return text
        names = m.group(1).split("、")
        for i in range(1, len(names)):
            if rng.random() < 0.35 and re.fullmatch(f"{place.prefix}[^、，]{{2,10}}(局|委)", names[i]):
                names[i] = body_name(rng.choice(TASK_SECTORS), place)
        return text[:m.start()] + "（" + "、".join(names) + "）"

    def _responsibilities(self, chapters: list[Node], rng: random.Random, place: Place):
        if place.level not in ("municipal", "county"):
            return
        for ch in chapters:
            for n in ch.walk():
                if n.kind not in ("item", "section") or not (n.body or n.head) or n.children:
                    continue
                target = n.body if n.body else None
                last = target[-1] if target else n.head
                if re.search(r"（[^（）]*(局|委|厅|政府)[^（）]*）$", last):
                    last = self._swap_sectors(last, rng, place)
                elif len(last) > 40 and rng.random() < 0.55:
                    last = last + self._departments(rng, place)
                if target:
                    target[-1] = last
                else:
                    n.head = last

    def _task_table(self, chapters: list[Node], rng: random.Random, place: Place) -> Node:
        table = Node("table", columns=["序号", "工作任务内容", "责任单位"])
        sections = [s for ch in chapters for s in ch.children if s.kind == "section"]
        sections = [s for s in sections if len(re.split(r"[。；]", s.head)[0]) >= 6]
        for i, sec in enumerate(sections[:rng.randint(6, 24)], 1):
            task = re.split(r"[。；]", sec.head)[0]
            k = rng.randint(1, 5)
            stems = rng.sample(TASK_SECTORS, k)
            names = [body_name(s, place) for s in stems]
            if rng.random() < 0.15:
                duty = "各地级以上市人民政府按职责分工负责"
            elif k == 1:
                duty = f"{names[0]}牵头"
            else:
                tail = "和各地级以上市人民政府" if rng.random() < 0.4 else ""
                duty = f"{names[0]}牵头，{'、'.join(names[1:])}{tail}按职责分工负责"
            table.children.append(Node("table_row", cells=[str(i), task + "。", duty]))
        return table

    def make(self, index: int) -> Planned:
        rng = random.Random(f"{self.seed}:{index}")
        r, acc, level = rng.random(), 0.0, "county"
        for lv, w in LEVEL_WEIGHTS:
            acc += w
            if r < acc:
                level = lv
                break
        place = self._place(rng, level)
        start = rng.choice((2016, 2021, 2021, 2021, 2026))
        delta = start - 2021
        span = rng.choice((5, 5, 4, 3))
        period = (start + (1 if level in ("municipal", "county") and rng.random() < 0.4 else 0),
                  start + span - 1 if span < 5 else start + 4)
        parent = self._parent(rng, place)
        topic = rng.choice(TOPICS)
        kind = rng.choice(KINDS)
        five = _FIVE_YEAR[3 + delta // 5]
        if level == "national":
            title = f"{topic}“{five}”{kind}" if kind == "规划" else f"关于{topic}的{kind}"
        else:
            title = (f"{place.full}{topic}“{five}”规划" if kind == "规划"
                     else f"{place.full}{topic}{kind}")
        number = self._number(rng, place, period[0])
        issuer = self._issuer(rng, place)
        date = f"{period[0]}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        status = "draft" if rng.random() < 0.06 else "issued"
        if status == "draft":
            title += "（征求意见稿）"
        # Text recombined from the pool is reworded heavily (plans of different places
        # share stock phrases, not whole sections); sections restated from the parent
        # lightly (the alignment the graph must find).
        reword_p = rng.uniform(0.6, 0.95)
        restate_reword = rng.uniform(0.1, 0.4)

        # Chapters: recombined from the pool, some sections restated from the parent.
        parent_sections = []
        if parent is not None:
            parent_sections = [(parent[0], s) for ch in parent[3] for s in ch.children
                               if s.kind == "section"]
        restate_p = rng.uniform(0.2, 0.5) if parent_sections else 0.0
        chapters = []
        n_ch = rng.randint(4, 9)
        for _ in range(n_ch):
            src = rng.choice(self.pool.chapters)
            ch = Node("chapter", head=src.node.head, body=list(src.node.body))
            ch = self._adapt(ch, src.place, place, rng, delta, reword_p, 0.6)
            own = [s for s in src.node.children if s.kind in ("section", "item", "box")]
            secs: list[Node] = []
            if own or rng.random() < 0.8:
                for _ in range(rng.randint(1, 6)):
                    if rng.random() < restate_p:
                        sp, sec = rng.choice(parent_sections)
                        secs.append(self._adapt(sec, sp, place, rng, 0, restate_reword, 0.3))
                        continue
                    if own and rng.random() < 0.6:
                        s, srcp = rng.choice(own), src.place
                    else:
                        choice = rng.choice(self.pool.sections)
                        s, srcp = choice.node, choice.place
                    donor = rng.choice(self.pool.sections).node
                    secs.append(self._adapt(s, srcp, place, rng, delta, reword_p, 0.6, donor))
            # A chapter holds sections (and boxes) or items, never both.
            ch.children = self._uniq([s for s in secs if s.kind != "item"] or secs)
            if not ch.children and not ch.body:
                ch.body = [self._fix(rng.choice(self.pool.preambles).node.body[0],
                                     place_rewriter(BUNDLED_PLACES["national"], place, rng),
                                     rng, delta, reword_p)]
            chapters.append(ch)
        if rng.random() < 0.35 and self.pool.indicator_boxes:
            box_src = rng.choice(self.pool.indicator_boxes)
            box = self._adapt(box_src.node, box_src.place, place, rng, delta, 0.0)
            host = next((s for ch in chapters for s in ch.children if s.kind == "section"), None)
            if host is not None:
                host.children.insert(0, box)
        self._responsibilities(chapters, rng, place)

        # Preamble, closing, annexed task table.
        pre_src = rng.choice(self.pool.preambles)
        preamble = self._adapt(pre_src.node, pre_src.place, place, rng, delta, reword_p)
        if parent is not None and rng.random() < 0.75:
            cite = f"《{parent[1]}》" + (f"（{parent[2]}）" if parent[2] else "")
            first = preamble.body[0]
            preamble.body[0] = f"为贯彻落实{cite}部署，" + (first[1:] if first[0] == "为" else first)
        closing = None
        if self.pool.closings and rng.random() < 0.5:
            c_src = rng.choice(self.pool.closings)
            closing = self._adapt(c_src.node, c_src.place, place, rng, delta, reword_p)
        annex = None
        if level == "provincial" and rng.random() < 0.6:
            annex = self._task_table(chapters, rng, place)

        text = self._render(rng, place, title, number, issuer, date, preamble, chapters,
                            closing, annex)
        digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]
        planned = Planned(index, f"{index:04d}_{digest}.txt", place, title, number, issuer,
                          date, period, status, chapters, text)
        self.made.append(planned)
        return planned

    @staticmethod
    def _uniq(nodes: list[Node]) -> list[Node]:
        seen, out = set(), []
        for n in nodes:
            key = n.head[:30]
            if key not in seen:
                seen.add(key)
                out.append(n)
        return out

    # -- layout ------------------------------------------------------------------------------
    def _render(self, rng, place, title, number, issuer, date, preamble, chapters, closing,
                annex) -> str:
        lines: list[str] = []
        y, mo, d = date.split("-")
        cn_date = f"{y}年{int(mo)}月{int(d)}日"
        if rng.random() < 0.3:
            lines += [issuer, number, f"关于印发《{title}》的通知",
                      "各有关单位：" if place.level != "provincial" else
                      "各地级以上市人力资源社会保障局，各有关单位：",
                      f"现将《{title}》印发给你们，请结合实际认真贯彻落实。",
                      issuer, cn_date, ""]
        lines.append(title)
        lines += preamble.body
        continuous = rng.random() < 0.4
        sec_no = 0
        box_no = 0
        for i, ch in enumerate(chapters, 1):
            lines.append(f"{cn(i)}、{ch.head}")
            lines += ch.body
            if not continuous:
                sec_no = 0
            item_no = 0
            for s in ch.children:
                if s.kind == "section":
                    sec_no += 1
                    box_no = self._render_node(s, lines, sec_no, box_no)
                elif s.kind == "item":
                    item_no += 1
                    box_no = self._render_node(s, lines, item_no, box_no)
                elif s.kind == "box":
                    box_no = self._render_node(s, lines, 0, box_no)
        if closing is not None:
            lines += closing.body
        if annex is not None:
            lines += ["附件", f"{place.full}工作任务清单", "\t".join(annex.columns)]
            lines += ["\t".join(r.cells) for r in annex.children]
        body = lines
        if rng.random() < 0.25:
            return self._hard_wrap(body, rng)
        sep = "\n\n" if rng.random() < 0.5 else "\n"
        return sep.join(body) + "\n"

    def _render_node(self, n: Node, lines: list[str], no: int, box_no: int) -> int:
        if n.kind == "section":
            lines.append(f"（{cn(no)}）{n.head}")
        elif n.kind == "item":
            lines.append(f"{no}.{n.head}")
        elif n.kind == "subitem":
            lines.append(f"（{no}）{n.head}")
        elif n.kind == "point":
            lines.append(f"{CIRCLED[min(no, 20) - 1]}{n.head}")
        elif n.kind == "box":
            box_no += 1
            lines.append(f"专栏{box_no}：{n.head}")
        elif n.kind == "table":
            lines.append("\t".join(n.columns))
        elif n.kind == "table_row":
            lines.append("\t".join(n.cells))
            return box_no
        elif n.kind == "paragraph":
            lines += n.body
            return box_no
        else:
            lines.append(n.head)
        if n.kind != "table":
            lines += n.body
        counters: dict[str, int] = {}
        for c in n.children:
            counters[c.kind] = counters.get(c.kind, 0) + 1
            box_no = self._render_node(c, lines, counters[c.kind], box_no)
        if n.kind == "table":
            lines += n.body
        return box_no

    @staticmethod
    def _hard_wrap(lines: list[str], rng: random.Random) -> str:
        """A PDF extraction: fixed-width lines, a blank line after each, tables kept."""
        width = rng.choice((28, 30, 33))
        out = []
        for line in lines:
            if "\t" in line or len(line) <= width:
                out.append(line + " ")
                continue
            for i in range(0, len(line), width):
                out.append(line[i:i + width] + " ")
        return "\n\n".join(out) + "\n"


# ---- writing a corpus folder -----------------------------------------------------------------

def _toml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def generate(folder: Path, n: int, seed: int = DEFAULT_SEED, bundled: bool = True) -> list[str]:
    """Write `n` documents into `folder` (replacing what is there); returns their file names."""
    folder = Path(folder)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    gen = Generator(seed)
    entries: list[tuple[str, dict]] = []
    src_manifest = (bundled_dir() / "manifest.toml").read_text(encoding="utf-8")
    if bundled:
        import tomllib
        table = tomllib.loads(src_manifest)
        for doc in gen.bundled[:n]:
            shutil.copyfile(bundled_dir() / doc.file, folder / doc.file)
            entries.append((doc.file, table[doc.file]))
    for i in range(len(entries), n):
        planned = gen.make(i)
        (folder / planned.file).write_text(planned.text, encoding="utf-8")
        entries.append((planned.file, planned.manifest_fields()))
    write_manifest(folder, entries, seed)
    return [e[0] for e in entries]


def extra_document(n: int, seed: int = DEFAULT_SEED) -> tuple[str, str, dict]:
    """Document number `n` of the sequence (the one after an n-document corpus):
    (file name, text, manifest fields)."""
    gen = Generator(seed)
    for i in range(len(gen.bundled), n + 1):
        planned = gen.make(i)
    return planned.file, planned.text, planned.manifest_fields()


def write_manifest(folder: Path, entries: list[tuple[str, dict]], seed: int) -> None:
    out = ["# A synthetic corpus written by bench/generate.py "
           f"(seed {seed}, {len(entries)} documents).",
           "# Same fields as corpus/documents/manifest.toml.", ""]
    for file, fields_ in entries:
        out.append(f"[{_toml_str(file)}]")
        for key in ("title", "number", "issuer", "level", "region", "date", "status", "period"):
            if fields_.get(key):
                out.append(f"{key} = {_toml_str(str(fields_[key]))}")
        out.append("")
    (folder / "manifest.toml").write_text("\n".join(out), encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("-n", type=int, default=200, help="number of documents (default 200)")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = ap.parse_args(argv)
    files = generate(args.folder, args.n, args.seed)
    size = sum((args.folder / f).stat().st_size for f in files)
    print(f"wrote {len(files)} documents ({size / 1e6:.1f} MB) and manifest.toml to {args.folder}")


if __name__ == "__main__":
    main()
