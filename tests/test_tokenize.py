"""The one tokenizer: the domain dictionary comes from the corpus and keeps its terms whole."""
import pytest

from policykg.corpus.tokenize import (ENGINES, Tokenizer, available_engines, default_engine,
                             department_names, domain_terms, fold, joins_words,
                             quoted_terms, recurring_compounds)

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


# ---- a domain word never spans a conjunction joining two words -------------------------------

@pytest.mark.parametrize("phrase", ["企业与技工院校", "国家和省", "钳工等工种", "技能人才的培养",
                                    "学校或企业", "技工教育与职业教育融合发展计划"])
def test_a_conjunction_between_two_words_makes_a_phrase(phrase):
    assert joins_words(phrase)


@pytest.mark.parametrize("word", ["人力资源和社会保障厅", "省住房和城乡建设厅", "市发展和改革委员会",
                                  "中华人民共和国", "职业技能等级认定", "高等职业院校", "普及",
                                  "以及", "技工院校及"])
def test_a_joint_inside_a_word_or_a_body_name_or_at_the_edge_is_not_one(word):
    assert not joins_words(word)


def test_a_recurring_phrase_joined_by_a_conjunction_is_no_word(bundled_docs):
    # "…企业与职业院校…" recurs with varied neighbours, as a compound would: without the
    # rule it became one word, and a query for 链主企业 no longer matched the sentence.
    firms = ["链主", "重点", "本地", "园区", "规上", "优质"]
    after = ["结对共建", "合作办学", "共建基地", "开展合作", "联合培养", "共享师资", "共建专业",
             "共同招生"]
    texts = [p.own_text for d in bundled_docs for p in d.provisions]
    texts += [f"组织{f}企业与职业院校{a}。" for f in firms for a in after]
    terms = domain_terms(texts)
    assert not any(joins_words(t) for t in terms)
    words = Tokenizer.shared(terms).cut("支持链主企业与职业院校结对共建")
    assert "与" in words and "企业与职业院校" not in words


def test_titles_and_quoted_phrases_joining_two_things_are_cut_as_their_words():
    text = "实施“技工教育和职业培训”，（省人力资源和社会保障厅）"
    terms = domain_terms([text], titles=["校企合作与产教融合行动", "高技能人才培养行动"])
    assert "高技能人才培养行动" in terms and "省人力资源和社会保障厅" in terms
    assert "校企合作与产教融合行动" not in terms and "技工教育和职业培训" not in terms


def test_a_department_in_general_is_no_ministry():
    assert department_names("全省各级人力资源社会保障部门、省财政厅") == {"省财政厅"}
    assert department_names("人力资源社会保障部印发") == {"人力资源社会保障部"}


def test_tokens_carry_offsets_into_the_original_text():
    tk = Tokenizer.shared(("技师学院",))
    text = "高水平（技师学院）建设"
    for word, start, end in tk.tokens(text):
        assert fold(text[start:end]) == word


def test_width_folding_keeps_length():
    assert fold("（二）ＡＢＣ１２") == "(二)abc12"
    assert len(fold("（二）ＡＢＣ１２㎡")) == len("（二）ＡＢＣ１２㎡")


def test_folding_never_changes_the_length():
    # "İ".lower() is two characters: folding keeps the character instead.
    assert fold("İ技ＡＢ") == "İ技ab"


# ---- engines: jieba and rjieba cut alike, and a generation keeps the one it was built with --

def test_rjieba_cuts_as_jieba_does(bundled_docs):
    pytest.importorskip("rjieba")
    texts = [p.own_text for d in bundled_docs for p in d.provisions]
    titles = [p.heading for d in bundled_docs for p in d.provisions if p.kind in ("box", "annex")]
    terms = domain_terms(texts, titles)
    a, b = Tokenizer.shared(terms, "jieba"), Tokenizer.shared(terms, "rjieba")
    for text in texts + titles + ["与1-2家企业、A-1类、10%-20%、1+1+9"]:
        assert list(a.tokens(text)) == list(b.tokens(text)), text
        assert list(a.tokens(text, search=False)) == list(b.tokens(text, search=False)), text
        assert a.cut(text) == b.cut(text), text


@pytest.mark.parametrize("engine", ENGINES)
def test_the_dictionary_file_keeps_engine_terms_and_frequencies(tmp_path, engine):
    if engine not in available_engines():
        pytest.skip(f"{engine} is not installed")
    tk = Tokenizer.shared(("技师学院", "产教融合"), engine)
    tk.save(tmp_path / "dict.txt")
    back = Tokenizer.from_file(tmp_path / "dict.txt")
    assert (back.engine, back.terms, back.tuning) == (engine, tk.terms, tk.tuning)
    assert back.cut("高水平技师学院建设") == tk.cut("高水平技师学院建设")


def test_a_dictionary_file_without_an_engine_was_cut_by_jieba(tmp_path):
    (tmp_path / "dict.txt").write_text("技师学院\n产教融合\n", encoding="utf-8")
    tk = Tokenizer.from_file(tmp_path / "dict.txt")
    assert tk.engine == "jieba" and tk.terms == ("产教融合", "技师学院")
    assert "技师学院" in tk.cut("高水平技师学院建设")


def test_an_engine_that_is_not_installed_is_an_error(tmp_path):
    (tmp_path / "dict.txt").write_text("# engine: nosuch\n技师学院\t2\n", encoding="utf-8")
    with pytest.raises(ValueError, match="nosuch"):
        Tokenizer.from_file(tmp_path / "dict.txt")


def test_new_builds_use_rjieba_where_it_is_installed():
    assert default_engine() == ("rjieba" if "rjieba" in available_engines() else "jieba")
