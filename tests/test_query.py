"""The query language: parsing into a `Query`, degrading instead of failing, and compiling."""

from policykg.corpus.tokenize import Tokenizer
from policykg.indexer.analysis import gram_pattern, units
from policykg.indexer import plan
from policykg.indexer.compiler import (QueryContext, compile_query, required_pieces,
                                       resolve_departments, resolve_documents)
from policykg.indexer.query import Filter, Limits, Term, parse


def reasons(q) -> str:
    return " | ".join(f"{i.text} {i.reason}" for i in q.ignored)


# ---- words, phrases, OR, NOT ------------------------------------------------------------------

def test_words_are_separate_required_terms():
    q = parse("技师学院 高等学校序列")
    assert [c.terms for c in q.clauses] == [(Term("技师学院"),), (Term("高等学校序列"),)]
    assert not any(c.negated for c in q.clauses) and not q.ignored


def test_quoted_phrase_ascii_and_chinese_quotes():
    q = parse('"技师学院纳入" “校企双制”')
    assert [c.terms[0] for c in q.clauses] == [Term("技师学院纳入", phrase=True),
                                              Term("校企双制", phrase=True)]


def test_or_joins_neighbours_and_binds_tighter_than_and():
    q = parse("技师学院 OR 技工学校 招生")
    assert [len(c.terms) for c in q.clauses] == [2, 1]
    assert q.clauses[0].terms == (Term("技师学院"), Term("技工学校"))
    assert parse("a | b").clauses[0].terms == (Term("a"), Term("b"))


def test_not_and_minus_exclude():
    for text in ("技工 -粤菜", "技工 NOT 粤菜"):
        q = parse(text)
        assert [(c.terms[0].text, c.negated) for c in q.clauses] == [("技工", False), ("粤菜", True)]
    assert parse('-"粤菜师傅"').clauses[0] == parse('NOT "粤菜师傅"').clauses[0]


def test_lowercase_or_not_are_words():
    q = parse("or not")
    assert [c.terms[0].text for c in q.clauses] == ["or", "not"]


def test_full_width_operators_and_quotes_are_read():
    q = parse("＂技师＂ ＯＲ 技工 －粤菜")
    assert q.clauses[0].terms == (Term("技师", phrase=True), Term("技工"))
    assert q.clauses[1].negated


# ---- filters ---------------------------------------------------------------------------------

def test_filters_with_chinese_values_and_names():
    q = parse("level:省 kind:条 year:2021-2023 doc:000 dept:市人社局 部门:省教育厅")
    by = {(f.name, f.negated): f.values for f in q.filters}
    assert by[("level", False)] == ("provincial",)
    assert by[("kind", False)] == ("item",)
    assert by[("year", False)] == ("2021", "2022", "2023")
    assert by[("doc", False)] == ("000",)
    assert by[("dept", False)] == ("市人社局", "省教育厅")     # same filter: either
    assert not q.clauses


def test_filter_values_commas_quotes_and_negation():
    q = parse('level:provincial,municipal -kind:chapter dept:"东莞市 教育局"')
    assert Filter("level", ("provincial", "municipal")) in q.filters
    assert Filter("kind", ("chapter",), negated=True) in q.filters
    assert Filter("dept", ("东莞市 教育局",)) in q.filters


def test_bad_filter_values_are_ignored_with_a_reason():
    q = parse("level:planet kind:novel year:99 技师")
    assert not q.filters
    assert [c.terms[0].text for c in q.clauses] == ["技师"]
    assert "level:planet" in reasons(q) and "kind:novel" in reasons(q) and "year:99" in reasons(q)


def test_filters_given_as_options_join_the_query_ones():
    q = parse("技师 level:national", filters={"level": ["municipal"], "kind": "item", "doc": None})
    assert Filter("level", ("national", "municipal")) in q.filters
    assert Filter("kind", ("item",)) in q.filters


def test_unknown_name_before_a_colon_is_plain_text():
    q = parse("http://example.org 技师")
    assert [c.terms[0].text for c in q.clauses] == ["http://example.org", "技师"]
    assert not q.filters


# ---- degrading, never failing ------------------------------------------------------------------

def test_dangling_operators_are_ignored_and_reported():
    q = parse("NOT OR x")
    assert [(c.terms[0].text, c.negated) for c in q.clauses] == [("x", True)]
    assert "OR" in reasons(q)
    q = parse("OR 技师 OR")
    assert [c.terms[0].text for c in q.clauses] == ["技师"]
    assert [i.text for i in q.ignored] == ["OR", "OR"]
    assert "NOT" in reasons(parse("技师 NOT"))


def test_unclosed_quote_reads_the_rest_as_words():
    q = parse('"技师学院 建设')
    assert [c.terms[0] for c in q.clauses] == [Term("技师学院"), Term("建设")]
    assert "引号未闭合" in reasons(q)


def test_control_characters_are_dropped_and_reported():
    q = parse("技师\x00学院\x1b[31m\u200b")
    assert "控制字符" in reasons(q)
    assert all(ch not in str(q) for ch in "\x00\x1b\u200b")


def test_star_alone_means_everything_and_wildcards_are_not_expanded():
    assert parse("*").match_all and not parse("*").clauses
    q = parse("技师*")
    assert not q.match_all and q.clauses[0].terms[0].text == "技师*"
    assert "通配符" in reasons(q)


def test_parenthesis_bomb_is_nothing_to_search():
    q = parse("(" * 5000)
    assert q.empty and not q.clauses
    assert "超过 200 个字符" in reasons(q)


def test_long_query_is_cut_and_terms_capped():
    limits = Limits(max_chars=300, max_terms=4, max_term_units=10)
    q = parse(" ".join(f"词{i}" for i in range(50)), limits)
    assert len(q.clauses) == 4 and "最多 4 个词项" in reasons(q)
    q = parse("技" * 1000, limits)
    assert len(units(q.clauses[0].terms[0].text)) == 10
    assert "超过 300 个字符" in reasons(q) and "最多 10 个字符" in reasons(q)


def test_punctuation_only_terms_are_dropped():
    q = parse("、、 。 技师")
    assert [c.terms[0].text for c in q.clauses] == ["技师"]


# ---- compiling ---------------------------------------------------------------------------------

def test_gram_patterns_cover_any_run_of_characters():
    assert gram_pattern("学制技师").phrase == ("学制", "制技", "技师")
    assert gram_pattern("1+1双导师").phrase == ("1", "1", "双导", "导师")
    assert gram_pattern("技师50").phrase == ("技师", "师", "50")
    assert gram_pattern("市") == gram_pattern("市")
    assert gram_pattern("市").prefix == "市" and not gram_pattern("市").phrase
    assert gram_pattern("50所").phrase == ("50",) and gram_pattern("50所").prefix == "所"


def test_single_characters_join_their_neighbour():
    assert required_pieces(["双", "导师"]) == ["双导师"]
    assert required_pieces(["思政课", "教师", "比"]) == ["思政课", "教师比"]
    assert required_pieces(["技师学院", "的", "建设"]) == ["技师学院", "建设"]
    assert required_pieces(["市"]) == ["市"]


def test_compile_is_separate_from_running_and_bounded():
    catalog = QueryContext(Tokenizer.shared(()))
    limits = Limits(max_words=5)
    compiled = compile_query(parse("技工院校 专业设置 课程内容 职业标准 教学过程 工作过程"),
                             catalog, limits)
    assert isinstance(compiled.scoring, plan.Node)
    hash(compiled.scoring)            # engine-neutral, frozen: a cache key as it is
    assert any("最多 5 个词" in i.reason for i in compiled.ignored)
    assert "技工院校" in compiled.highlight


def test_filter_only_and_negative_only_queries_compile_to_everything():
    catalog = QueryContext(Tokenizer.shared(()))
    c = compile_query(parse("-粤菜 level:national"), catalog)
    assert isinstance(c.scoring, plan.Every) and c.mask is not None and c.filter is not None


# ---- documents and departments in context ---------------------------------------------------

DOCS = [
    {"doc": "001_dg.txt", "key": "k1", "title": "东莞市深化产教融合实施方案", "level": "municipal",
     "region": "东莞市", "issuer": "东莞市人力资源和社会保障局"},
    {"doc": "002_gz.txt", "key": "k2", "title": "广州市技工教育实施方案", "level": "municipal",
     "region": "广州市", "issuer": "广州市人力资源和社会保障局"},
    {"doc": "003_gd.txt", "key": "k3", "title": "广东省技工教育规划", "level": "provincial",
     "region": "广东省", "issuer": "广东省人力资源和社会保障厅"},
]
DEPTS = {
    "东莞市人力资源和社会保障局": {"aliases": ["东莞市人社局"], "docs": {"001_dg.txt": 3}},
    "广州市人力资源和社会保障局": {"aliases": [], "docs": {"002_gz.txt": 2}},
    "广东省教育厅": {"aliases": [], "docs": {"003_gd.txt": 1, "001_dg.txt": 1}},
    "人力资源社会保障部": {"aliases": [], "docs": {"003_gd.txt": 1}},
}


def test_documents_by_file_key_prefix_number_or_title():
    assert resolve_documents("001", DOCS) == ["001_dg.txt"]
    assert resolve_documents("k2", DOCS) == ["002_gz.txt"]
    assert resolve_documents("002_gz", DOCS) == ["002_gz.txt"]
    assert resolve_documents("东莞", DOCS) == ["001_dg.txt"]
    assert resolve_documents("技工教育", DOCS) == ["002_gz.txt", "003_gd.txt"]
    assert resolve_documents("nothing", DOCS) == []


def test_department_short_names_resolve_in_the_context_of_the_documents():
    catalog = QueryContext(Tokenizer.shared(()), DOCS, DEPTS)
    both = {"东莞市人力资源和社会保障局", "广州市人力资源和社会保障局"}
    assert set(resolve_departments("市人社局", catalog)) == both
    assert resolve_departments("市人社局", catalog, {"001_dg.txt"}) == ["东莞市人力资源和社会保障局"]
    assert resolve_departments("市人社局", catalog, {"002_gz.txt"}) == ["广州市人力资源和社会保障局"]
    assert resolve_departments("东莞市人社局", catalog) == ["东莞市人力资源和社会保障局"]
    assert resolve_departments("省教育厅", catalog) == ["广东省教育厅"]
    assert resolve_departments("人社部", catalog) == ["人力资源社会保障部"]
    assert resolve_departments("省财政厅", catalog) == []


def test_dept_filter_takes_its_context_from_doc_filters():
    catalog = QueryContext(Tokenizer.shared(()), DOCS, DEPTS)
    c = compile_query(parse("dept:市人社局 doc:东莞"), catalog)
    assert "广州" not in repr(c.filter) and "东莞市人力资源和社会保障局" in repr(c.filter)
    c = compile_query(parse("dept:市人社局 level:provincial"), catalog)
    assert c.nothing and any("在所选文件中" in i.reason for i in c.ignored)


def test_every_example_in_the_help_parses_cleanly():
    import re as _re
    from policykg.indexer.query import HELP
    examples = [e for e in _re.findall(r"`([^`]+)`", HELP)
                if e == "*" or _re.search(r"[\u4e00-\u9fff]|\w:\w", e)]
    assert len(examples) >= 12
    for example in examples:
        q = parse(example)
        assert not q.ignored and not q.empty, example


# ---- the documents' issuers and years ----------------------------------------------------------

def test_issuer_and_date_filters_parse_in_english_and_chinese():
    q = parse("技工 issuer:省人社厅 发文年份:2021-2022 -发文机关:广州市人力资源和社会保障局")
    assert [str(f) for f in q.filters] == ["issuer:省人社厅", "date:2021,2022",
                                           "-issuer:广州市人力资源和社会保障局"]
    assert not q.ignored
    assert str(parse("date:2022年").filters[0]) == "date:2022"
    assert "发文年份须为" in reasons(parse("技工 date:去年"))
    # year: stays the target year: its own filter, not the document's date
    assert [f.name for f in parse("year:2025 date:2022").filters] == ["year", "date"]


def test_issuers_resolve_by_full_name_part_or_short_form():
    from policykg.indexer.compiler import resolve_issuers
    docs = [*DOCS, {"doc": "004_co.txt", "title": "联合通知", "issuer": "广东省教育厅",
                    "issuers": ["广东省教育厅", "广东省人力资源和社会保障厅"], "date": "2023-01-02"}]
    assert resolve_issuers("广东省人力资源和社会保障厅", docs) == ["003_gd.txt", "004_co.txt"]
    assert resolve_issuers("东莞市人力资源", docs) == ["001_dg.txt"]
    assert resolve_issuers("省人社厅", docs) == ["003_gd.txt", "004_co.txt"]
    assert resolve_issuers("市人社局", docs) == ["001_dg.txt", "002_gz.txt"]
    assert resolve_issuers("火星局", docs) == []


def test_date_filter_selects_the_documents_of_its_years():
    docs = [{**d, "date": date} for d, date in zip(DOCS, ["2022-05-05", "2021-12-24", None])]
    catalog = QueryContext(Tokenizer.shared(()), docs, DEPTS)
    c = compile_query(parse("技工 date:2021-2022"), catalog)
    assert "001_dg.txt" in repr(c.filter) and "002_gz.txt" in repr(c.filter)
    assert "003_gd.txt" not in repr(c.filter)
    c = compile_query(parse("技工 date:2030-2031"), catalog)
    assert c.nothing and reasons(c) == "date:2030-2031 没有这一年的文件"


def test_issuer_filter_narrows_the_context_of_dept():
    catalog = QueryContext(Tokenizer.shared(()), DOCS, DEPTS)
    c = compile_query(parse("dept:市人社局 issuer:东莞市人力资源和社会保障局"), catalog)
    assert "广州" not in repr(c.filter) and "东莞市人力资源和社会保障局" in repr(c.filter)


def test_the_compiled_query_names_no_engine():
    """indexer.compiler builds indexer.plan's nodes; whoosh and tantivy each make their own
    queries of them (indexer.whoosh_query, indexer.tantivy_engine)."""
    catalog = QueryContext(Tokenizer.shared(()))
    c = compile_query(parse('技工院校 "学制技师" OR 技师 -粤菜 level:provincial'), catalog)
    nodes = [c.scoring, c.filter, c.mask]
    seen = set()
    while nodes:
        node = nodes.pop()
        assert type(node).__module__ == "policykg.indexer.plan", type(node)
        seen.add(type(node).__name__)
        nodes.extend(node.children())
    assert {"Maybe", "All", "Any", "Phrase", "Term"} <= seen
