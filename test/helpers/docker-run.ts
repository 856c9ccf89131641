// Starts a reproduced image as `docker run` would: its ENTRYPOINT + CMD, its ENV (plus `-e` values),
// its WORKDIR, its USER, and bind mounts; container paths are mapped onto the image's root directory.
import { type ChildProcess, spawn } from "node:child_process";
import { copyFileSync, linkSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Image } from "./docker-build.ts";

export interface RunOptions {
  /** Container path to host path, like `-v host:container`. */
  mounts?: Record<string, string>;
  /** Like `-e NAME=value`. */
  env?: Record<string, string>;
}

export interface Container {
  child: ChildProcess;
  output: string[];
  exit: Promise<number | null>;
  /** Runs the image's HEALTHCHECK command in the container's environment; resolves to its exit code. */
  healthcheck(): Promise<number | null>;
}

/**
 * The base image's Node, where the image calls it: the ENTRYPOINT's absolute path (distroless keeps
 * it at /nodejs/bin/node), or /usr/local/bin/node on the PATH as the official node image does.
 */
function nodePath(image: Image): string {
  const first = image.entrypoint[0] ?? "node";
  return first.startsWith("/") ? first : "/usr/local/bin/node";
}

export function provideBaseNode(image: Image): void {
  const target = join(image.rootfs, nodePath(image));
  mkdirSync(dirname(target), { recursive: true, mode: 0o755 });
  // A hard link is instant and, unlike the original path, reachable by the image's user; copy across
  // filesystems.
  try {
    linkSync(process.execPath, target);
  } catch {
    copyFileSync(process.execPath, target);
  }
}

function pathMapper(image: Image, mounts: Record<string, string>): (p: string) => string {
  const prefixes = Object.keys(mounts).sort((a, b) => b.length - a.length);
  return (p) => {
    if (!p.startsWith("/")) return p;
    const mount = prefixes.find((m) => p === m || p.startsWith(`${m}/`));
    return mount ? join(mounts[mount] as string, p.slice(mount.length)) : join(image.rootfs, p);
  };
}

function spawnIn(image: Image, argv: string[], options: RunOptions): ChildProcess {
  const map = pathMapper(image, options.mounts ?? {});
  const env = Object.fromEntries(
    Object.entries({ ...image.env, ...options.env }).map(([k, v]) => [k, map(v)]),
  );
  const [command, ...args] = argv;
  if (command !== "node" && command !== nodePath(image)) {
    throw new Error(`the reproduction runs the base image's node only, not ${command}`);
  }
  return spawn(join(image.rootfs, nodePath(image)), args.map(map), {
    cwd: map(image.workdir),
    // Only the image's environment, as in a container; PATH as the node image sets it.
    env: { PATH: "/usr/local/bin:/usr/bin:/bin", ...env },
    ...(image.user ? { uid: image.user.uid, gid: image.user.gid } : {}),
    stdio: ["ignore", "pipe", "pipe"],
  });
}

export function runImage(image: Image, options: RunOptions = {}): Container {
  const child = spawnIn(image, [...image.entrypoint, ...image.cmd], options);
  const output: string[] = [];
  child.stdout?.setEncoding("utf8").on("data", (c: string) => output.push(c));
  child.stderr?.setEncoding("utf8").on("data", (c: string) => output.push(c));
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return {
    child,
    output,
    exit,
    healthcheck() {
      if (!image.healthcheck) throw new Error("the image has no HEALTHCHECK");
      const check = spawnIn(image, image.healthcheck, options);
      return new Promise((resolve) => check.on("exit", (code) => resolve(code)));
    },
  };
}

/** Polls `url` until it answers `status` or the container exits; returns the last status seen. */
export async function waitForStatus(
  container: Container,
  url: string,
  status: number,
  timeoutMs = 20_000,
): Promise<number | "exited"> {
  let exited = false;
  void container.exit.then(() => {
    exited = true;
  });
  const until = Date.now() + timeoutMs;
  let last = 0;
  while (!exited && Date.now() < until) {
    last = await fetch(url, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.status,
      () => 0,
    );
    if (last === status) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  return exited ? "exited" : last;
}
