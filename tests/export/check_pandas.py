#!/usr/bin/env python3
"""An export loads in pandas with the codebook's types and agrees with itself and with
cohort.db (tests/export/run; docs/DATA.md).

    check_pandas.py EXPORT_DIR [--db DATA/EXPERIMENT/cohort.db]

Without --db only the export's own consistency is checked (a live export: the database
has moved on since). Exit 0 when everything holds; each problem is printed."""
import json
import sqlite3
import sys

import pandas as pd

out = sys.argv[1]
db = sys.argv[sys.argv.index("--db") + 1] if "--db" in sys.argv else None
problems = []
checks = 0


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        problems.append(what)
    return cond


codebook = json.load(open(f"{out}/codebook.json"))
manifest = json.load(open(f"{out}/export.json"))
tables = {t["file"]: t for t in codebook["tables"]}
check(set(tables) == {"participants.csv", "episodes.csv", "frames.csv", "events.csv"},
      f"codebook tables: {sorted(tables)}")

# 1. Every table loads as it is, with exactly the documented columns and rows; then with
#    the documented types, which pandas enforces (a non-integer in an integer column fails).
PANDAS = {"integer": "Int64", "boolean": "Int64", "string": "string", "decimal": "Float64"}
df = {}
for name, t in tables.items():
    plain = pd.read_csv(f"{out}/{name}")
    cols = [c["name"] for c in t["columns"]]
    check(list(plain.columns) == cols, f"{name}: columns {list(plain.columns)} != codebook {cols}")
    check(len(plain) == t["rows"] == manifest["tables"][name],
          f"{name}: {len(plain)} rows, codebook {t['rows']}, export.json {manifest['tables'][name]}")
    dtype = {c["name"]: ("UInt64" if c.get("uint64") else PANDAS[c["type"]])
             for c in t["columns"] if c["type"] in PANDAS}
    dates = [c["name"] for c in t["columns"] if c["type"] == "datetime"]
    typed = pd.read_csv(f"{out}/{name}", dtype=dtype, keep_default_na=False,
                        na_values={c["name"]: [""] for c in t["columns"]})
    for c in t["columns"]:
        col = typed[c["name"]]
        n = c["name"]
        if not c["nullable"]:
            check(col.notna().all(), f"{name}: {n} has empty cells but is not nullable")
        values = col.dropna()
        if c["type"] == "boolean":
            check(values.isin([0, 1]).all(), f"{name}: {n} has values other than 0/1")
        if c["type"] == "datetime":
            parsed = pd.to_datetime(values, utc=True, format="%Y-%m-%dT%H:%M:%S.%fZ")
            check(parsed.notna().all(), f"{name}: {n} has times that do not parse")
            ms = n[:-4] if n.endswith("_iso") else None
            if ms in typed:
                back = (parsed.astype("int64") // 1_000_000).astype("Int64")
                check((back == typed.loc[values.index, ms]).all(), f"{name}: {n} != {ms}")
        if "min" in c:
            check((values >= c["min"]).all(), f"{name}: {n} below {c['min']}")
        if "max" in c:
            check((values <= c["max"]).all(), f"{name}: {n} above {c['max']}")
        if "values" in c:
            allowed = {v["value"] if isinstance(v, dict) else v for v in c["values"]}
            bad = set(values) - allowed
            check(not bad, f"{name}: {n} has undocumented values {sorted(map(str, bad))[:5]}")
    df[name] = typed

P, E, F, V = (df[n] for n in ("participants.csv", "episodes.csv", "frames.csv", "events.csv"))
seats = sorted(int(c.split(".")[1]) for c in F.columns if c.startswith("action."))

# 2. frames and episodes agree
key = ["game", "episode"]
sizes = F.groupby(key).size().rename("n").reset_index()
m = E.merge(sizes, on=key, how="outer", indicator=True)
check((m["_merge"] == "both").all(), "episodes.csv and frames.csv name different episodes")
check((m["frames"] == m["n"]).all(), "episodes.frames != rows in frames.csv")
check((F.groupby(key).cumcount() == F["frame"]).all(), "frames are not 0..N-1 in order")
sums = F.groupby(key)[[f"reward.{k}" for k in seats] + ["reward.team"]].sum().reset_index()
m = E.merge(sums, on=key)
for k in seats:
    check((m[f"score.{k}"].fillna(0) == m[f"reward.{k}"]).all(), f"score.{k} != sum of reward.{k}")
check((m["score.team"] == m["reward.team"]).all(), "score.team != sum of reward.team")
row_sum = sum(F[f"reward.{k}"].fillna(0) for k in seats)
check((row_sum == F["reward.team"]).all(), "reward.team != the seats' rewards added up")
for k in seats:
    has = E[f"seat.{k}"].notna()
    total = E[f"frames_input.{k}"] + E[f"frames_default.{k}"] + E[f"frames_ai.{k}"] + E[f"frames_model.{k}"]
    check((total[has] == E["frames"][has]).all(), f"frames_*.{k} do not add up to frames")
    mism = F[F[f"verified.{k}"] == 0].groupby(key).size()
    got = E.set_index(key)[f"hash_mismatches.{k}"]
    check(all(got.get(i, 0) == v for i, v in mism.items()), f"hash_mismatches.{k}")
cook = E["env"].str.startswith("cooking/")
# each soup counted once: the team's score is the env's own team score
check((E.loc[cook, "score.team"] == E.loc[cook, "info.score"]).all(),
      "cooking: score.team != info.score (a soup counted twice?)")
if db:  # the final export of tests/export/run has both games
    check(cook.any() and (~cook).any(), "expected cooking and volley episodes")
first = F[F["frame"] == 0]
# the decoded state: chefs move at most one cell a frame; slimes stay on their side
if "chef0.x" in F:
    cf = F[F["chef0.x"].notna()]
    for c in ("chef0", "chef1"):
        step = (cf.groupby(key)[f"{c}.x"].diff().abs() + cf.groupby(key)[f"{c}.y"].diff().abs()).dropna()
        check((step <= 1).all() and (step > 0).any(), f"{c} jumps or never moves")
if "ball.x" in F:
    vf = F[F["ball.x"].notna()]
    check(((vf["slime0.x"] < 500 * 256) & (vf["slime1.x"] > 500 * 256)).all(), "a slime crossed the net")
    check((first.loc[first["ball.x"].notna(), "serve_wait"] == 20).all(), "volley does not start serving")
if cook.any():
    env0 = E.loc[cook, "env"].iloc[0]
    if env0 == "cooking/counter_circuit" and db:  # chef 0 starts at (3, 3), chef 1 at (3, 1)
        fc = first[first["chef0.x"].notna()]
        check(((fc["chef0.x"] == 3) & (fc["chef0.y"] == 3) & (fc["chef1.y"] == 1)).all(),
              "counter_circuit start positions")
        check((F.filter(like="counter.").fillna(0) > 0).any().any(), "no object ever on a counter")

# 3. participants agree with episodes and events
sat = pd.concat([E[["game", "episode", f"seat.{k}"]].rename(columns={f"seat.{k}": "subject"})
                 for k in seats])
per = sat.groupby("subject").size()
check((P["episodes"] == P["subject"].map(per).fillna(0)).all(), "participants.episodes")
games = sat.groupby("subject")["game"].nunique()
check((P["games"] == P["subject"].map(games).fillna(0)).all(), "participants.games")
check(E["desync_events"].sum() <= (V["kind"] == "desync").sum(), "desync_events")
check((P["duration_ms"].dropna() >= 0).all(), "negative durations")
scene_cols = [c for c in P.columns if c.startswith("scene_ms.")]
spent = P[scene_cols].sum(axis=1)
done = P["t_end"].notna()
check((spent[done] <= P.loc[done, "duration_ms"]).all(), "time on scenes exceeds the duration")

# 4. against cohort.db
if db:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    q = lambda sql: con.execute(sql).fetchall()
    check(sorted(P["subject"]) == sorted(r[0] for r in q("SELECT subject FROM participants")),
          "participants differ from cohort.db")
    last = dict(q("SELECT subject, outcome FROM outcomes ORDER BY t, rowid"))
    check(all(last.get(s) == (o if pd.notna(o) else None) for s, o in zip(P["subject"], P["outcome"])),
          "outcomes differ from cohort.db")
    dbe = {(g, e): n for g, e, n in q("SELECT game, episode, frames FROM episodes")}
    got = {(g, e): n for g, e, n in zip(E["game"], E["episode"], E["frames"])}
    check(got == dbe, f"episodes differ from cohort.db ({len(got)} vs {len(dbe)})")
    starts = {(g, e) for g, e in q("SELECT game, episode FROM episode_starts")}
    skipped = {(s["game"], s["episode"]) for s in manifest["skipped"]}
    check(skipped == starts - set(dbe), "skipped episodes are not those begun and unfinished")
    check(len(V) == q("SELECT COUNT(*) FROM events")[0][0], "events differ from cohort.db")
    waits = dict(q("SELECT subject, SUM(wait_ms) FROM waits GROUP BY subject"))
    check(all(waits.get(s, 0) == w for s, w in zip(P["subject"], P["wait_ms"])), "wait_ms")
    forms = q("SELECT subject, scene, form FROM forms ORDER BY t, rowid")
    for s, scene, form in forms:
        for field, v in json.loads(form).items():
            col = f"form.{scene}.{field}"
            cellv = P.loc[P["subject"] == s, col].iloc[0]
            check(col in P and str(cellv) == (v if isinstance(v, str) else json.dumps(v)),
                  f"{col} of {s}: {cellv!r} != {v!r}")

# 5. bonuses (tests/export/experiment.yaml: 0.01 a point up to 1.50, 0.50 a minute waited):
#    every outcome's bonus is the rule applied to the score and wait it records, a finished
#    participant's recorded score is the team score of the episodes they sat in (all of
#    them for those who kept their seat), and payments.csv is Prolific's bulk list of the
#    bonuses above zero, exactly the participants table's.
lines = open(f"{out}/payments.csv").read().splitlines()
paid = {}
for line in lines:
    subject, amount = line.split(",")
    check(len(amount.split(".")[-1]) == 2 and amount.replace(".", "", 1).isdigit(),
          f"payments.csv: amount {amount!r} is not like 0.50")
    paid[subject] = amount
check(len(paid) == len(lines) == manifest["payments"], "payments.csv: one line per subject")
want = {s: f"{b:.2f}" for s, b in zip(P["subject"], P["bonus"]) if pd.notna(b) and b > 0}
check(paid == want, f"payments.csv != participants.csv bonuses ({len(paid)} vs {len(want)})")
if db:
    check(sum(1 for b in P["bonus"] if pd.notna(b)) == len(P.dropna(subset=["outcome"])),
          "every outcome has a bonus")
    sat = {}
    for c in [c for c in E.columns if c.startswith("seat.")]:
        for subject, team in zip(E[c], E["score.team"]):
            sat[subject] = sat.get(subject, 0) + int(team)
    rows = q("SELECT subject, outcome, bonus, bonus_points, bonus_wait_ms FROM outcomes")
    check(any(r[2] != "0.00" for r in rows), "some bonus is above zero")
    for subject, outcome, bonus, points, wait_ms in rows:
        units = min(max(points, 0) * 100, 15000) + ((wait_ms + 500) // 1000) * 5000 // 60
        check(bonus == f"{units // 100 // 100}.{units // 100 % 100:02d}",
              f"{subject}: bonus {bonus} for {points} points and {wait_ms} ms")
        if outcome in ("completed", "partner_dropped", "waitroom_timeout"):
            check(points == sat.get(subject, 0),
                  f"{subject}: {points} points recorded, {sat.get(subject, 0)} in episodes.csv")

for p in problems[:40]:
    print("problem:", p)
print(f"{len(P)} participants, {len(E)} episodes, {len(F)} frames, {len(V)} events; "
      f"{checks - len(problems)} of {checks} checks hold")
sys.exit(1 if problems else 0)
