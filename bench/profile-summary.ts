// Where the time goes in a V8 CPU profile (`node --cpu-prof`), as text: the functions with the
// most self time, and the share of each. docs/benchmarks.md shows how the profiles behind its
// findings were taken; this prints them:
//   scripts/node --import tsx bench/profile-summary.ts FILE.cpuprofile [TOP]
import fs from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

export function selfTimes(profile: CpuProfile): { name: string; ms: number; share: number }[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const n = byId.get(id);
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    if (!n) return;
    const f = n.callFrame;
    const where = f.url ? ` ${f.url.replace(/^.*\/(?=[^/]+\/[^/]+$)/, '')}:${f.lineNumber + 1}` : '';
    const name = `${f.functionName || '(anonymous)'}${where}`;
    self.set(name, (self.get(name) ?? 0) + dt);
    total += dt;
  });
  return [...self].map(([name, ms]) => ({ name, ms, share: total ? ms / total : 0 })).sort((a, b) => b.ms - a.ms);
}

if (import.meta.filename === process.argv[1]) {
  const [file, top = '25'] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: profile-summary FILE.cpuprofile [TOP]\n');
    process.exit(2);
  }
  const rows = selfTimes(JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile);
  for (const r of rows.slice(0, Number(top))) process.stdout.write(`${(r.share * 100).toFixed(1).padStart(5)}%  ${r.ms.toFixed(0).padStart(6)} ms  ${r.name}\n`);
}
