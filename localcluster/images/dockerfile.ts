// The Dockerfile read as data, so the operator image built here (no container engine) is laid out exactly as
// `docker build` lays it out: one definition of what goes in the image. Only what the project's Dockerfile
// uses is understood; anything else is an error, so a new instruction cannot be silently skipped.

export type Instruction =
  | { op: 'ENV'; vars: [string, string][] }
  | { op: 'WORKDIR'; path: string }
  | { op: 'COPY'; from?: string; sources: string[]; dest: string }
  | { op: 'RUN'; command: string }
  | { op: 'USER'; user: string }
  | { op: 'ENTRYPOINT'; argv: string[] }
  | { op: 'CMD'; argv: string[] };

export interface Stage {
  base: string;
  name?: string;
  instructions: Instruction[];
}

/** Logical lines: comments dropped, `\` continuations joined. */
function logicalLines(text: string): { line: string; at: number }[] {
  const out: { line: string; at: number }[] = [];
  let buf = '';
  let start = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!buf && (line === '' || line.startsWith('#'))) return;
    if (!buf) start = i + 1;
    if (line.endsWith('\\')) {
      buf += `${line.slice(0, -1).trimEnd()} `;
      return;
    }
    out.push({ line: (buf + line).trim(), at: start });
    buf = '';
  });
  if (buf) out.push({ line: buf.trim(), at: start });
  return out;
}

function jsonArgv(rest: string, at: number): string[] {
  const parsed: unknown = JSON.parse(rest);
  if (!Array.isArray(parsed) || parsed.some((a) => typeof a !== 'string')) throw new Error(`line ${at}: expected a JSON array of strings`);
  return parsed as string[];
}

function envVars(rest: string, at: number): [string, string][] {
  const vars: [string, string][] = [];
  for (const m of rest.matchAll(/(\S+?)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
    vars.push([m[1], m[2].startsWith('"') ? (JSON.parse(m[2]) as string) : m[2]]);
  }
  if (!vars.length) throw new Error(`line ${at}: ENV needs KEY=VALUE pairs`);
  return vars;
}

export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  for (const { line, at } of logicalLines(text)) {
    const [, word, rest = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const op = word.toUpperCase();
    if (op === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest);
      if (!m) throw new Error(`line ${at}: FROM IMAGE [AS NAME]`);
      stages.push({ base: m[1], name: m[2], instructions: [] });
      continue;
    }
    const stage = stages[stages.length - 1];
    if (!stage) throw new Error(`line ${at}: ${op} before FROM`);
    switch (op) {
      case 'ENV':
        stage.instructions.push({ op, vars: envVars(rest, at) });
        break;
      case 'WORKDIR':
      case 'USER':
        if (!rest) throw new Error(`line ${at}: ${op} needs a value`);
        stage.instructions.push(op === 'WORKDIR' ? { op, path: rest } : { op, user: rest });
        break;
      case 'COPY': {
        const words = rest.split(/\s+/);
        let from: string | undefined;
        while (words[0]?.startsWith('--')) {
          const flag = words.shift()!;
          const m = /^--from=(\S+)$/.exec(flag);
          if (!m) throw new Error(`line ${at}: COPY flag ${flag} is not supported here`);
          from = m[1];
        }
        if (words.length < 2) throw new Error(`line ${at}: COPY SRC... DEST`);
        stage.instructions.push({ op, from, sources: words.slice(0, -1), dest: words[words.length - 1] });
        break;
      }
      case 'RUN':
        stage.instructions.push({ op, command: rest });
        break;
      case 'ENTRYPOINT':
      case 'CMD':
        stage.instructions.push({ op, argv: jsonArgv(rest, at) });
        break;
      default:
        throw new Error(`line ${at}: instruction ${op} is not supported by localcluster/images`);
    }
  }
  if (!stages.length) throw new Error('no FROM in the Dockerfile');
  return stages;
}
