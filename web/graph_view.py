"""What the graph view shows: the nodes and links around a provision or a department.

Separate from the other page families because it is made of two of them (provision_views'
`provision`, department_views' `department`) read as a graph.
"""
from __future__ import annotations

from policykg.corpus.vocabulary import LEVEL_LABELS
from policykg.pipeline.generation import Generation
from policykg.web.department_views import ROLE_LABELS, department
from policykg.web.lookups import NotFound, lookups
from policykg.web.provision_views import provision

# The graph view's kinds of node and the names its legend shows them by.
CATEGORY_LABELS = {"provision": "条款", "department": "部门", "aligned": "上下级对应条款",
                   "indicator": "指标"}


def neighbourhood(gen: Generation, ref: str) -> dict:
    """Nodes and links around a provision or a department, for the graph view."""
    cat = lookups(gen)
    nodes: dict[str, dict] = {}
    links: list[dict] = []

    def add(nid: str, label: str, category: str) -> str:
        nodes.setdefault(nid, {"id": nid, "name": label, "category": category})
        return nid

    if cat.db.has_provision(ref):
        view = provision(gen, ref)
        me = add(ref, view["provision"]["heading"], "provision")
        if view["provision"]["parent"]:
            par = cat.db.ref(view["provision"]["parent"])
            links.append({"source": add(par["id"], par["heading"], "provision"), "target": me,
                          "label": "包含"})
        for c in view["children"]:
            links.append({"source": me, "target": add(c["id"], c["heading"], "provision"),
                          "label": "包含"})
        for role, key in (("牵头", "lead"), ("参与", "participants")):
            for d in view["departments"][key]:
                links.append({"source": add(d["id"] or d["name"], d["name"], "department"),
                              "target": me, "label": role})
        for side, label in (("higher", "承接"), ("lower", "被承接")):
            for a in view[side]:
                other = add(a["id"], f'{a["heading"]}（{LEVEL_LABELS.get(a["level"], "")}）',
                            "aligned")
                links.append({"source": me if side == "higher" else other,
                              "target": other if side == "higher" else me, "label": "承接"})
        for t in view["targets"]:
            links.append({"source": me, "target": add("ind:" + str(t.get("indicator_key") or t.get("indicator")),
                                                      t.get("indicator", ""), "indicator"),
                          "label": "目标"})
    elif cat.has_department(ref) or cat.db.department_id(ref) is not None:
        view = department(gen, ref)
        d = view["department"]
        me = add(d["id"], d["name"], "department")
        for up in view["up"]:
            links.append({"source": me, "target": add(up["id"] or up["name"], up["name"],
                                                      "department"), "label": "上级"})
        for down in view["down"]:
            links.append({"source": add(down["id"], down["name"], "department"), "target": me,
                          "label": "上级"})
        for group in view["tasks"]:
            for t in group["tasks"]:
                links.append({"source": me, "target": add(t["id"], t["heading"], "provision"),
                              "label": ROLE_LABELS.get(t["role"], t["role"])})
    else:
        raise NotFound(f"没有条款或部门“{ref}”")
    return {"center": ref, "nodes": list(nodes.values()), "links": links,
            "categories": list(CATEGORY_LABELS), "legend": CATEGORY_LABELS}
