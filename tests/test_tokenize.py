"""The one tokenizer: the domain dictionary comes from the corpus and keeps its terms whole."""
from corpus.tokenize import (Tokenizer, department_names, domain_terms, fold, quoted_terms,
                             recurring_compounds)

# Policy vocabulary an official would search for; jieba's general dictionary cuts most of
# them apart.  Each must come out of the tokenizer as one word, in running text.
DOMAIN_TERMS = [
    "技工院校", "技师学院", "学制技师", "产教融合", "市域产教联合体", "校企双制", "粤菜师傅",
    "南粤家政", "广东技工", "高技能人才", "高级工班", "工学一体化", "一体化课程", "技能人才",
    "职业技能等级认定", "产教融合型企业", "高水平技师学院", "思想政治理论课", "高级技工学校",
    "非物质文化遗产", "行业产教融合共同体", "文化技工", "技工教育", "智慧校园", "大国工匠",
]


def corpus_tokenizer(docs):
    texts = [p.own_text for d in docs for p in d.provisions]
    titles = [p.heading for d in docs for p in d.provisions if p.kind in ("box", "annex")]
    return Tokenizer.shared(domain_terms(texts, titles))


def test_at_least_twenty_domain_terms_survive_tokenization(bundled_docs):
    tk = corpus_tokenizer(bundled_docs)
    whole = [t for t in DOMAIN_TERMS if t in tk.cut(f"要求推进{t}工作")]
    assert len(whole) >= 20, sorted(set(DOMAIN_TERMS) - set(whole))


def test_general_dictionary_alone_cuts_them_apart():
    plain = Tokenizer.shared(())
    split = [t for t in DOMAIN_TERMS if t not in plain.cut(f"要求推进{t}工作")]
    assert len(split) >= 8       # the domain dictionary is what keeps them whole


def test_quoted_terms_and_department_names_are_read_from_text():
    text = "全面推广实施“校企双制”技能人才培养模式，“1+1双导师制”。（市人力资源社会保障局、市财政局）"
    assert {"校企双制", "1+1双导师制"} <= quoted_terms(text)
    assert {"市人力资源社会保障局", "市财政局"} <= department_names(text)
    assert "本实施方案由市人力资源社会保障局" not in department_names("本实施方案由市人力资源社会保障局负责")


def test_recurring_compounds_need_recurrence_and_stable_boundaries(bundled_docs):
    verbs = ["推进", "支持", "鼓励", "组建", "发展", "完善", "依托", "加强"]
    after = ["建设", "发展", "工作", "平台", "机制", "试点", "项目", "合作"]
    texts = [f"{v}产教联盟{a}。" for v in verbs for a in after]
    background = [p.own_text for d in bundled_docs for p in d.provisions]
    found = recurring_compounds(background + texts, min_count=4)
    assert "产教联盟" in found
    assert not any(t.endswith("产教联") for t in found)


def test_tokens_carry_offsets_into_the_original_text():
    tk = Tokenizer.shared(("技师学院",))
    text = "高水平（技师学院）建设"
    for word, start, end in tk.tokens(text):
        assert fold(text[start:end]) == word


def test_width_folding_keeps_length():
    assert fold("（二）ＡＢＣ１２") == "(二)abc12"
    assert len(fold("（二）ＡＢＣ１２㎡")) == len("（二）ＡＢＣ１２㎡")
