// Self time per function of a V8 CPU profile (.cpuprofile), largest first.
//   tsx bench/profile-top.ts FILE [N]

import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
const file = process.argv[2] as string;
const top = Number(process.argv[3] ?? 40);
const profile = JSON.parse(readFileSync(file, "utf8")) as {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
};
const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const node = byNode.get(id) as ProfileNode;
  const dt = (profile.timeDeltas[i] ?? 0) / 1000;
  const f = node.callFrame;
  const key = `${f.functionName || "(anonymous)"} ${f.url.replace(/^.*\/(dist|node_modules)\//, "$1/")}:${f.lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + dt);
  total += dt;
});
const idle = [...self.entries()].filter(([k]) => k.startsWith("(idle)")).reduce((s, [, v]) => s + v, 0);
process.stdout.write(`total ${total.toFixed(0)} ms, busy ${(total - idle).toFixed(0)} ms\n`);
for (const [key, ms] of [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  process.stdout.write(
    `${ms.toFixed(1).padStart(9)} ms ${((ms / (total - idle)) * 100).toFixed(1).padStart(5)}%  ${key}\n`,
  );
}
