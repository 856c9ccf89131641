// The one glob of armbridge: claim conditions, trigger filters and grant scope patterns all use it.

// Globs come only from the config (grant scopes, trigger filters, claim conditions: a bounded set)
// and are matched on every request: each is compiled once. A RegExp without the `g` or `y` flag
// keeps no state between tests, so one is shared.
const compiled = new Map<string, RegExp>();

/** `*` matches within one `/`-separated part, `**` across parts, `?` one character; the rest is literal. */
export function globToRegex(glob: string): RegExp {
  let regex = compiled.get(glob);
  if (regex === undefined) {
    regex = compile(glob);
    compiled.set(glob, regex);
  }
  return regex;
}

function compile(glob: string): RegExp {
  let body = "";
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i] as string;
    if (ch === "*" && glob[i + 1] === "*") {
      body += ".*";
      i++;
    } else if (ch === "*") body += "[^/]*";
    else if (ch === "?") body += "[^/]";
    else body += ch.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${body}$`, "s");
}
