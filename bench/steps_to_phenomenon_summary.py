"""Summarise the logs of bench/steps-to-phenomenon.sh: python3 bench/steps_to_phenomenon_summary.py LOGDIR [LOGDIR ...]

For each task and model, the in-context curve at every evaluation, averaged over the second half of
the positions; a markdown table at the end. Where a model has logs in several folders the longest
run is used.
"""
import re, glob, os, collections, sys
runs = {}
for d in ['/tmp/phen/logs', '/tmp/phen2/logs']:
    for f in glob.glob(d + '/*.log'):
        key = os.path.basename(f)[:-4]
        evals = collections.OrderedDict()
        for line in open(f, errors='replace'):
            m = re.match(r'^(\S.*?) \([\d,]+ params\) step (\d+) (\S+) (.*) \(chance ([\d.e+-]+)\): (.*)$', line.strip())
            if not m: continue
            step, head, label, chance, vals = int(m.group(2)), m.group(3), m.group(4), float(m.group(5)), m.group(6)
            pts = [(int(a), float(b)) for a, b in (p.split(':') for p in vals.split())]
            evals.setdefault(step, {})[head] = (label, chance, pts)
        if len(evals) > len(runs.get(key, {})): runs[key] = evals
def headline(task, heads):
    if 'y' in heads and task == 'chain-of-thought':
        label, chance, pts = heads['y']
    else:
        label, chance, pts = list(heads.values())[0]
    vals = [v for _, v in pts]
    tail = vals[len(vals)//2:] if len(vals) > 2 else vals
    return sum(tail)/len(tail), chance, label
tasks = sorted(set(k.rsplit('-', 1)[0] for k in runs))
for task in tasks:
    print(f'## {task}')
    for model in ['transformer', 'mamba', 'mambaformer']:
        ev = runs.get(f'{task}-{model}', {})
        row = []
        for step, heads in ev.items():
            v, chance, label = headline(task, heads)
            row.append(f'{step}:{v:.3f}')
        if ev:
            print(f'  {model:12s} [{label}; chance {chance}] ' + ' '.join(row))
print()
print('| task | metric (chance) | model | @500 | @1000 | @2000 | last (step) |')
print('|---|---|---|---|---|---|---|')
for task in tasks:
    for model in ['transformer', 'mamba', 'mambaformer']:
        ev = runs.get(f'{task}-{model}', {})
        if not ev: continue
        vals = {s: headline(task, h) for s, h in ev.items()}
        last = max(vals)
        g = lambda s: f'{vals[s][0]:.3f}' if s in vals else '–'
        v, chance, label = vals[last]
        print(f'| {task} | {label} ({chance:g}) | {model} | {g(500)} | {g(1000)} | {g(2000)} | {v:.3f} ({last}) |')
