// Packs armbridge as `npm pack` does (prepack builds dist/) and installs the tarball into a fresh
// folder, offline: the folder's lockfile pins the same dependency versions as the repository's, so
// npm takes them from its cache and the test reaches no registry.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

interface LockEntry {
  dev?: boolean;
  link?: boolean;
}

/** Resolves with the folder it installed into; its `node_modules/.bin/armbridge` is the installed bin. */
export async function packAndInstall(repo: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "armbridge-pack-"));
  await run("npm", ["pack", "--pack-destination", dir], { cwd: repo, timeout: 180_000 });
  const tgz = readdirSync(dir).find((f) => f.endsWith(".tgz"));
  if (!tgz) throw new Error("npm pack wrote no tarball");
  const lock = JSON.parse(readFileSync(join(repo, "package-lock.json"), "utf8")) as {
    packages: Record<string, LockEntry>;
  };
  const pkg = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as Record<string, unknown>;
  const packages: Record<string, unknown> = {
    "": { name: "consumer", dependencies: { armbridge: `file:${tgz}` } },
    "node_modules/armbridge": {
      version: pkg.version,
      resolved: `file:${tgz}`,
      integrity: `sha512-${createHash("sha512")
        .update(readFileSync(join(dir, tgz)))
        .digest("base64")}`,
      dependencies: pkg.dependencies,
      bin: pkg.bin,
    },
  };
  // armbridge's runtime dependencies, as the repository's lockfile resolved them.
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path.startsWith("node_modules/") && !entry.dev && !entry.link) packages[path] = entry;
  }
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: "consumer", private: true, dependencies: { armbridge: `file:${tgz}` } }),
  );
  writeFileSync(
    join(dir, "package-lock.json"),
    JSON.stringify({ name: "consumer", lockfileVersion: 3, requires: true, packages }),
  );
  await run("npm", ["ci", "--offline", "--no-audit", "--no-fund", "--ignore-scripts"], {
    cwd: dir,
    timeout: 300_000,
  });
  return dir;
}
