#!/usr/bin/env python3
"""hostile-inputs.py - a hostile-input run against a purr binary (best an
ASan+UBSan build): seeded mutations of the shipped scenes, of a recording and
of a field log, and random argument lists. Checks that each run ends with an
exit status in {0,1,2,3,4}, no signal, no hang (60 s), no sanitizer report,
and, for status 2, one line on stderr per file.

usage: scripts/hostile-inputs.py PURR_BINARY SOURCE_DIR N
(N scene and N recording mutations, N/2 logs, N/2 argument lists; the work
directory is /tmp/hostile/w.)"""
import os, random, subprocess, shutil, sys, collections
PURR = sys.argv[1]; SRC = sys.argv[2]; N = int(sys.argv[3])
rng = random.Random(1234)
W = '/tmp/hostile/w'; shutil.rmtree(W, ignore_errors=True); os.makedirs(W)
env = dict(os.environ, TMPDIR=W, ASAN_OPTIONS='detect_leaks=1'); env.pop('DISPLAY', None); env.pop('SDL_VIDEODRIVER', None)
results = collections.Counter(); bad = []
def run(kind, args, timeout=60):
    try:
        p = subprocess.run([PURR] + args, cwd=W, env=env, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        results[(kind, 'HANG')] += 1; bad.append((kind, args, 'hang')); return
    err = p.stderr.decode(errors='replace')
    rc = p.returncode
    if rc < 0 or rc not in (0, 1, 2, 3, 4) or 'Sanitizer' in err or 'runtime error' in err:
        results[(kind, 'BAD')] += 1; bad.append((kind, args, rc, err[-400:])); return
    if rc == 2 and err.count('\n') != 1:
        results[(kind, 'MULTILINE')] += 1; bad.append((kind, args, rc, err[-400:])); return
    results[(kind, rc)] += 1
def mutate(data):
    b = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        op = rng.randrange(4)
        if op == 0 and b: b[rng.randrange(len(b))] = rng.randrange(256)
        elif op == 1 and b: del b[rng.randrange(len(b)):][:rng.randint(1, 64)]
        elif op == 2: b[rng.randrange(len(b)+1):rng.randrange(len(b)+1)] = bytes(rng.randrange(256) for _ in range(rng.randint(1,16)))
        elif op == 3 and b: b = b[:rng.randrange(len(b))]
    return bytes(b)
scenes = [open(os.path.join(SRC, 'scenes', f), 'rb').read() for f in ('pet.yaml', 'talk.yaml', 'fails.yaml')]
# recordings to mutate
subprocess.run([PURR, 'run', os.path.join(SRC, 'scenes/talk.yaml'), '-q', '--duration', '20min', '--record', 'base.db'], cwd=W, env=env, capture_output=True)
base = open(os.path.join(W, 'base.db'), 'rb').read()
for i in range(N):
    open(os.path.join(W, 's.yaml'), 'wb').write(mutate(rng.choice(scenes)))
    run('scene', ['run', 's.yaml', '-q', '--duration', '30min'])
for i in range(N):
    open(os.path.join(W, 'r.db'), 'wb').write(mutate(base) if rng.random() < 0.7 else base[:rng.randrange(len(base))])
    run('recording', ['replay', 'r.db', '-q'])
log = b"time,value,datum\n0,touched,true\n1.5,face_seen,true\n2,touched,false\n3s,face_seen,false\n"
for i in range(N // 2):
    open(os.path.join(W, 'l.csv'), 'wb').write(mutate(log))
    run('log', ['import', 'l.csv', '-o', 'o%d.db' % i, '--scene', os.path.join(SRC, 'scenes/talk.yaml')])
words = ['run', 'replay', 'import', 'diff', 'plot', '--record', '--force', '--keep', '--seed', '-1', 'x',
         '--duration', '0s', '1e9h', '--junit', '--load', '/dev/zero', '', '--scene', 's.yaml', 'base.db', '-o',
         '--shuffle-seed', '99999999999999999999', '--jobs', '0', '--check-determinism', '--across', '--value', '--from', 'abc']
for i in range(N // 2):
    args = [rng.choice(words) for _ in range(rng.randint(1, 6))]
    run('argv', args, timeout=60)
for k, v in sorted(results.items(), key=str): print(k, v)
print('BAD:', len(bad))
for b in bad[:20]: print(b)
