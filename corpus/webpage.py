"""The furniture of a government web page, recognised in text so it is not read as policy.

A document saved or copied from a website carries the site around it: the breadcrumb
(首页 > 政务公开 > 政策文件, 当前位置：…), the header bar over the article (来源：… 发布时间：…
浏览次数：… 字号：大 中 小), the info table of the 政府信息公开 pages (索引号 主题分类 发文机关
成文日期 发文字号 …), the tool links under it (【打印】【关闭】 分享到 …) and the footer (版权所有,
主办单位, ICP备案号, 公网安备, 网站标识码).  These shapes are the same across Chinese
government sites (they follow the 政府网站发展指引 page layout), whether the page arrives as
HTML or as text pasted from a browser, so they are recognised by their words, not by a
site's CSS classes.

Nothing here decides metadata: corpus.metadata reads the whole text, info table
included (成文日期 and 发文字号 are facts); these lines are only kept out of the provisions.
"""
from __future__ import annotations

import re

# Labels of the header bar and the info table: "label：value" pairs, several to a line.
# Only a web page prints these (公开方式 is left out: it is printed on the paper document
# itself, under the signature).
_WEB_FIELDS = ("来源", "信息来源", "文章来源", "发布时间", "发布日期", "发布机构", "公开日期", "公开时间",
               "更新时间", "浏览次数", "访问次数", "点击数", "点击次数", "阅读次数", "阅读量", "浏览量",
               "访问量", "字号", "字体", "索引号", "主题分类", "主题词", "发文机关", "成文日期",
               "发文字号", "发文日期", "发文单位", "发布单位", "公文种类", "体裁分类", "有效性", "信息分类", "组配分类", "生成日期",
               "所属机构", "责任编辑")
# These also head lines of real text (时间：… in an event notice), so they count only on a
# line that also has a web-only label.
_SHARED_FIELDS = ("时间", "日期", "作者", "编辑", "审核", "标题", "文号", "摄影", "分类")
PAGE_FIELDS = frozenset(_WEB_FIELDS + _SHARED_FIELDS)
_FIELD_NAMES = "|".join(sorted(PAGE_FIELDS, key=len, reverse=True))
_FIELD = re.compile(r"(?:^|[\s【\[［|｜])(" + _FIELD_NAMES + r")\s*[：:]")
# Without a colon a label is a field only as a cell of its own ("索引号 | MB… | 文号 | …")
# or between spaces before its value, and only with another field beside it.
_BARE_FIELD = re.compile(r"(?:^|(?<=[\s|｜]))(" + _FIELD_NAMES + r")(?=[\s|｜]+\S)")
# Words that are only ever links or buttons on a page.
_TOOLS = re.compile(r"打印本页|打印此页|打印文章|打印|关闭本页|关闭窗口|关闭|分享到|分享|收藏本页|收藏|"
                    r"返回顶部|返回首页|返回列表|返回|扫一扫在手机打开当前页|扫一扫|手机版|"
                    r"字号|字体|默认|大|中|小|微信|微博|QQ空间|qq|【|】|\[|\]|［|］|"
                    r"[：:|｜/、,，·•\s]")
_TOOL_WORD = re.compile(r"打印|关闭|分享|收藏|扫一扫|返回")
_CRUMB = re.compile(r"^(当前位置|您当前的位置|您的位置|您现在的位置|所在位置)\s*[：:]"
                    r"|^(网站)?首页\s*[>＞»›→/]")
# A footer line names the site's owner, licence or registration.
_FOOTER_STRONG = re.compile(r"版权所有|ICP\s*备|ICP\s*证|公网安备|网站标识码|网站识别码|Copyright|©|"
                            r"\(c\)\s*\d{4}", re.I)
_FOOTER_WEAK = re.compile(r"^(主办单位|主办|承办单位|承办|协办单位|技术支持|运行维护|运维单位|"
                          r"联系电话|联系我们|网站地图|网站声明|地址|邮编|传真|电子邮箱)\s*[：:]?")
_SENTENCE = re.compile(r"[。；;！？!?]")
MAX_CHROME = 120        # characters: a longer line is text, whatever words it has


def is_header_bar(text: str) -> bool:
    """来源：… 发布时间：… 浏览次数：…, or one line of a 政府信息公开 info table."""
    if len(text) > MAX_CHROME or _SENTENCE.search(text):
        return False
    fields = {m.group(1) for m in _FIELD.finditer(text)}
    bare = {m.group(1) for m in _BARE_FIELD.finditer(text)}
    if not (fields | bare) & set(_WEB_FIELDS):
        return False
    if len(fields | bare) >= 2:
        return True
    # One field alone only when it opens a short line: "发布时间：2022-01-07".
    first = _FIELD.match(text)
    return first is not None and first.group(1) in _WEB_FIELDS and len(text) <= 40


def field_pairs(text: str) -> list[tuple[str, str]]:
    """(label, value) pairs of a header bar or info-table line, in order, with or without
    colons: "索引号 MB15…/2023-05475 发文日期 2023-01-03" → [("索引号", "MB15…"),
    ("发文日期", "2023-01-03")].  Empty when the line is no header bar."""
    if not is_header_bar(text):
        return []
    marks = sorted({m.start(1): m for m in list(_FIELD.finditer(text))
                    + list(_BARE_FIELD.finditer(text))}.items())
    out = []
    for (_, here), nxt in zip(marks, [m for _, m in marks[1:]] + [None]):
        value = text[here.end():nxt.start(1) if nxt else len(text)]
        value = value.strip(" \t　：:|｜[]【】［］")
        if value:
            out.append((here.group(1), value))
    return out


def is_tool_line(text: str) -> bool:
    """【打印】【关闭】, 分享到：微信 微博, 字号：大 中 小: nothing but links and buttons."""
    return (len(text) <= MAX_CHROME and bool(_TOOL_WORD.search(text) or "大中小" in text
                                             or re.search(r"大\s+中\s+小", text))
            and not _TOOLS.sub("", text))


def is_breadcrumb(text: str) -> bool:
    return len(text) <= MAX_CHROME and bool(_CRUMB.match(text.strip()))


def footer_lines(texts: list[str]) -> set[int]:
    """The site footer: after the document's last sentence, lines naming copyright or
    registration, and the owner/address lines next to them (主办单位 alone is also a
    heading of event notices, and 版权所有 a word of copyright policy, so only there)."""
    last = max((i for i, t in enumerate(texts) if _SENTENCE.search(t)), default=-1)
    out: set[int] = set()
    for i in range(last + 1, len(texts)):
        if len(texts[i]) <= MAX_CHROME and _FOOTER_STRONG.search(texts[i]):
            out.add(i)
            for step in (-1, 1):
                j = i + step
                while last < j < len(texts) and (j in out or _weak(texts[j])):
                    out.add(j)
                    j += step
    return out


def _weak(text: str) -> bool:
    return (len(text) <= MAX_CHROME and bool(_FOOTER_WEAK.match(text))
            and not _SENTENCE.search(text))


def chrome_lines(texts: list[str]) -> set[int]:
    """The indexes of the lines that are page furniture, not document text."""
    out = footer_lines(texts)
    bars = {i for i, text in enumerate(texts) if is_header_bar(text)}
    for i, text in enumerate(texts):
        if is_breadcrumb(text) or i in bars or is_tool_line(text):
            out.add(i)
    return out | _info_table_rest(texts, bars)


def _info_table_rest(texts: list[str], bars: set[int]) -> set[int]:
    """The rows of an info table laid out one field to a row: "标题：…" or "文号：…" alone is
    no header bar, but beside one it is the same table."""
    out: set[int] = set()
    for i in sorted(bars):
        for step in (-1, 1):
            j = i + step
            while 0 <= j < len(texts) and j not in bars and j not in out and _field_row(texts[j]):
                out.add(j)
                j += step
    return out


def _field_row(text: str) -> bool:
    m = _FIELD.match(text)
    return (m is not None and m.start(1) == 0 and len(text) <= MAX_CHROME
            and not _SENTENCE.search(text))
