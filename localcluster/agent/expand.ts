// Kubernetes' $(VAR) expansion in env values, command and args: $(NAME) becomes the variable's value when
// it is defined, stays as written when not, and $$ escapes a dollar sign.

export function expandVars(input: string, vars: ReadonlyMap<string, string>): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (c !== '$' || i + 1 >= input.length) { out += c; continue; }
    const next = input[i + 1];
    if (next === '$') { out += '$'; i++; continue; }
    if (next === '(') {
      const end = input.indexOf(')', i + 2);
      if (end !== -1) {
        const name = input.slice(i + 2, end);
        const value = vars.get(name);
        out += value !== undefined ? value : input.slice(i, end + 1);
        i = end;
        continue;
      }
    }
    out += c;
  }
  return out;
}
