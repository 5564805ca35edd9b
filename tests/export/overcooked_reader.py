#!/usr/bin/env python3
"""A reader of Overcooked-AI's trajectory format, written from its documented layout
(OvercookedState.to_dict, the trajectory dict of overcooked_trajectory.py) with the
standard library only, checked against cohort's own frames.csv (tests/export/run).

    overcooked_reader.py EXPORT_DIR

For every overcooked/GAME_epN.json it rebuilds, step by step, each chef's cell, facing
and held object, every pot's onions and cooking tick and every object on a counter, the
joint action (mapped back from Overcooked-AI's order: 0 north, 1 south, 2 east, 3 west,
4 stay, 5 interact) and the per-chef rewards, and requires them to equal the same
frame's columns of frames.csv."""
import csv
import json
import os
import sys

out = sys.argv[1]

# Overcooked-AI: Direction.NORTH (0, -1), SOUTH (0, 1), EAST (1, 0), WEST (-1, 0)
OC_ACTIONS = [(0, -1), (0, 1), (1, 0), (-1, 0), (0, 0), "interact"]
# cohort cooking: 0 up, 1 down, 2 left, 3 right, 4 stay, 5 interact
OC_TO_COHORT = {0: 0, 1: 1, 2: 3, 3: 2, 4: 4, 5: 5}
FACING = {(0, -1): 0, (0, 1): 1, (-1, 0): 2, (1, 0): 3}
ITEMS = {None: 0, "onion": 1, "dish": 2, "soup": 3}


def action_index(a):
    return OC_ACTIONS.index(tuple(a) if isinstance(a, list) else a)


frames = {}
with open(os.path.join(out, "frames.csv"), newline="") as f:
    for row in csv.DictReader(f):
        frames.setdefault((row["game"], int(row["episode"])), []).append(row)

problems = []
steps = files = 0
counters_seen = soups_seen = 0
for name in sorted(os.listdir(os.path.join(out, "overcooked"))):
    traj = json.load(open(os.path.join(out, "overcooked", name)))
    meta = traj["metadatas"]
    key = (meta["cohort_game"][0], meta["cohort_episode"][0])
    rows = frames.get(key)
    files += 1
    if rows is None:
        problems.append(f"{name}: no such episode in frames.csv")
        continue
    states, actions = traj["ep_states"][0], traj["ep_actions"][0]
    infos, rewards = traj["ep_infos"][0], traj["ep_rewards"][0]
    if not (len(states) == len(actions) == len(rows) == traj["ep_lengths"][0]):
        problems.append(f"{name}: {len(states)} states, {len(rows)} frames")
        continue
    pots = sorted({c.split(".")[1] for c in rows[0] if c.startswith("pot.")})
    counters = sorted({c.split(".")[1] for c in rows[0] if c.startswith("counter.") and rows[0][c] != ""})
    cell = lambda s: (int(s[1:s.index("y")]), int(s[s.index("y") + 1:]))
    pot_at = {cell(p): p for p in pots}
    counter_at = {cell(c): c for c in counters}
    for k, (st, row) in enumerate(zip(states, rows)):
        steps += 1
        got = {}
        for i, p in enumerate(st["players"]):
            got[f"chef{i}.x"], got[f"chef{i}.y"] = p["position"]
            got[f"chef{i}.facing"] = FACING[tuple(p["orientation"])]
            held = p["held_object"]
            got[f"chef{i}.held"] = ITEMS[held["name"] if held else None]
            if held and held["position"] != p["position"]:
                problems.append(f"{name} step {k}: held object not at its chef")
        for p in pots:
            got[f"pot.{p}.onions"] = 0
        for c in counters:
            got[f"counter.{c}"] = 0
        for o in st["objects"]:
            pos = tuple(o["position"])
            if pos in pot_at and o["name"] == "soup":
                n = len(o["_ingredients"])
                got[f"pot.{pot_at[pos]}.onions"] = n
                tick = o["cooking_tick"]
                want_tick = int(row[f"pot.{pot_at[pos]}.cook"]) if n == 3 else -1
                if tick != want_tick or o["is_ready"] != (n == 3 and tick >= 20):
                    problems.append(f"{name} step {k}: pot {pot_at[pos]} tick {tick}, frames.csv {want_tick}")
                soups_seen += 1
            elif pos in counter_at:
                got[f"counter.{counter_at[pos]}"] = ITEMS[o["name"]]
                counters_seen += 1
            else:
                problems.append(f"{name} step {k}: {o['name']} at {pos}, neither pot nor counter")
        for col, v in got.items():
            if int(row[col]) != v:
                problems.append(f"{name} step {k}: {col} = {v}, frames.csv says {row[col]}")
        if st["timestep"] != int(row["frame"]):
            problems.append(f"{name} step {k}: timestep {st['timestep']}")
        idx = [action_index(a) for a in actions[k]]
        if idx != meta["joint_action_indices"][0][k]:
            problems.append(f"{name} step {k}: joint_action_indices disagree with ep_actions")
        for i, a in enumerate(idx):
            if OC_TO_COHORT[a] != int(row[f"action.{i}"]):
                problems.append(f"{name} step {k}: action {i} {a} vs action.{i} {row[f'action.{i}']}")
        r = [int(row["reward.0"]), int(row["reward.1"])]
        if infos[k]["sparse_r_by_agent"] != r or rewards[k] != int(row["reward.team"]):
            problems.append(f"{name} step {k}: rewards {infos[k]['sparse_r_by_agent']} vs {r}")
        if len(problems) > 30:
            break

for p in problems[:30]:
    print("problem:", p)
if files == 0:
    problems.append("no overcooked files")
print(f"{files} episodes, {steps} steps read: positions, facings, held objects, pots "
      f"({soups_seen} soups), counters ({counters_seen} objects), actions and rewards "
      f"{'match frames.csv' if not problems else 'DIFFER'}")
sys.exit(1 if problems else 0)
