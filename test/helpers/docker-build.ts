// Reproduces a `docker build` without Docker: every stage gets its own root directory, COPY copies
// exactly what Docker would (the context filtered by .dockerignore, or another stage's files), RUN runs
// in the stage's WORKDIR. The result can be started as `docker run` would start it, as its USER.
import { execFile } from "node:child_process";
import { chownSync, cpSync, existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { dirname, join, posix, relative } from "node:path";
import { promisify } from "node:util";
import { dockerignoreFilter, execForm, expand, parseDockerfile, parseEnv } from "./dockerfile.ts";

const run = promisify(execFile);

export interface Image {
  /** The final stage's root directory. */
  rootfs: string;
  workdir: string;
  env: Record<string, string>;
  user?: { uid: number; gid: number };
  entrypoint: string[];
  cmd: string[];
  healthcheck?: string[];
  volumes: string[];
}

export interface BuildOptions {
  dockerfile: string;
  dockerignore: string;
  /** The build context (the repository root). */
  context: string;
  /** An empty directory that receives one root directory per stage. */
  outDir: string;
  /** Extra environment for RUN steps, e.g. npm's offline cache settings. */
  runEnv?: Record<string, string>;
}

/** Files of the context that Docker would send, as paths relative to it. */
function contextFiles(context: string, ignored: (p: string) => boolean): Set<string> {
  const files = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(context, dir), { withFileTypes: true })) {
      const rel = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.name === ".git" || entry.name === "node_modules") continue;
      if (entry.isDirectory()) walk(rel);
      else if (!ignored(rel)) files.add(rel);
    }
  };
  walk("");
  return files;
}

function chownTree(path: string, uid: number, gid: number): void {
  chownSync(path, uid, gid);
  if (statSync(path).isDirectory()) {
    for (const name of readdirSync(path)) chownTree(join(path, name), uid, gid);
  }
}

export async function reproduceBuild(options: BuildOptions): Promise<Image> {
  const parsed = parseDockerfile(options.dockerfile);
  const sent = contextFiles(options.context, dockerignoreFilter(options.dockerignore));
  const roots = new Map<string, string>();
  let image: Image | undefined;

  for (const [index, stage] of parsed.stages.entries()) {
    const rootfs = join(options.outDir, `stage-${index}`);
    mkdirSync(rootfs, { recursive: true, mode: 0o755 });
    roots.set(stage.name ?? String(index), rootfs);
    const inRoot = (p: string) => join(rootfs, p);
    const vars: Record<string, string> = { ...parsed.globalArgs };
    const img: Image = { rootfs, workdir: "/", env: {}, entrypoint: [], cmd: [], volumes: [] };

    for (const ins of stage.instructions) {
      const where = `Dockerfile line ${ins.line}`;
      switch (ins.keyword) {
        case "WORKDIR":
          img.workdir = posix.resolve(img.workdir, expand(ins.args, vars));
          mkdirSync(inRoot(img.workdir), { recursive: true, mode: 0o755 });
          break;
        case "ENV":
          Object.assign(img.env, parseEnv(ins.args));
          Object.assign(vars, parseEnv(ins.args));
          break;
        case "ARG": {
          const [name, value = ""] = ins.args.split(/=(.*)/s);
          vars[name as string] = parsed.globalArgs[name as string] ?? value;
          break;
        }
        case "COPY": {
          const parts = ins.args.startsWith("[") ? execForm(ins.args) : ins.args.split(/\s+/);
          const dest = posix.resolve(img.workdir, expand(parts.pop() as string, vars));
          const toDir = dest.endsWith("/") || parts.length > 1 || ins.args.trim().endsWith("/");
          const from = ins.flags.from;
          const fromRoot = from === undefined ? undefined : roots.get(from);
          if (from !== undefined && !fromRoot) throw new Error(`${where}: no stage '${from}' before it`);
          for (const src of parts) {
            copyOne({
              src: expand(src, vars),
              dest,
              toDir,
              fromRoot,
              sent,
              context: options.context,
              rootfs,
            });
          }
          if (ins.flags.chown) {
            const [uid, gid = uid] = ins.flags.chown.split(":").map(Number);
            if (!Number.isInteger(uid)) throw new Error(`${where}: --chown must be numeric`);
            chownTree(inRoot(dest), uid as number, gid as number);
          }
          break;
        }
        case "RUN": {
          // A RUN that names an absolute path would act on this machine, not on the stage's root.
          if (/(^|[\s=])\//.test(ins.args)) throw new Error(`${where}: RUN with an absolute path`);
          await run("sh", ["-c", expand(ins.args, vars)], {
            cwd: inRoot(img.workdir),
            env: { ...process.env, ...img.env, ...options.runEnv },
            timeout: 120_000,
          });
          break;
        }
        case "USER": {
          const [uid, gid = uid] = ins.args.split(":").map(Number);
          if (!Number.isInteger(uid)) throw new Error(`${where}: USER must be numeric uid:gid`);
          img.user = { uid: uid as number, gid: gid as number };
          break;
        }
        case "VOLUME":
          img.volumes.push(...(ins.args.startsWith("[") ? execForm(ins.args) : ins.args.split(/\s+/)));
          break;
        case "ENTRYPOINT":
          img.entrypoint = execForm(ins.args);
          img.cmd = [];
          break;
        case "CMD":
          img.cmd = execForm(ins.args);
          break;
        case "HEALTHCHECK":
          img.healthcheck = execForm(ins.args);
          break;
        default:
          // EXPOSE, STOPSIGNAL, LABEL: metadata only.
          break;
      }
    }
    image = img;
  }
  return image as Image;
}

function copyOne(o: {
  src: string;
  dest: string;
  toDir: boolean;
  fromRoot: string | undefined;
  sent: Set<string>;
  context: string;
  rootfs: string;
}): void {
  const target = join(o.rootfs, o.dest);
  if (o.fromRoot) {
    const source = join(o.fromRoot, o.src);
    if (!existsSync(source)) throw new Error(`COPY --from: ${o.src} does not exist in that stage`);
    const isDir = statSync(source).isDirectory();
    const to = isDir || !o.toDir ? target : join(target, posix.basename(o.src));
    mkdirSync(dirname(to), { recursive: true, mode: 0o755 });
    cpSync(source, to, { recursive: true });
    return;
  }
  const src = posix
    .normalize(o.src)
    .replace(/^\.?\/?/, "")
    .replace(/\/$/, "");
  const matches = [...o.sent].filter((f) => f === src || f.startsWith(`${src}/`) || src === "");
  if (matches.length === 0) throw new Error(`COPY ${o.src}: not in the build context (.dockerignore?)`);
  for (const file of matches) {
    // A directory source copies its contents; a file source lands in the directory or as the target.
    const rel = file === src ? posix.basename(file) : relative(src, file);
    const to = file === src && !o.toDir ? target : join(target, rel);
    mkdirSync(dirname(to), { recursive: true, mode: 0o755 });
    cpSync(join(o.context, file), to);
  }
}
