// The one glob of armbridge: claim conditions, trigger filters and grant scope patterns all use it.

/** `*` matches within one `/`-separated part, `**` across parts, `?` one character; the rest is literal. */
export function globToRegex(glob: string): RegExp {
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
