// Preloaded into a spawned process (NODE_OPTIONS=--import, see connections.ts): appends the host of
// every TCP connection the process opens, and each address it then tries, to the file named by
// ARMBRIDGE_TEST_CONNECTIONS_FILE, so a test can prove that nothing left loopback. It observes and
// passes every call on unchanged; Unix socket paths are local by nature and not written.
import { appendFileSync } from "node:fs";
import { Socket } from "node:net";

const file = process.env.ARMBRIDGE_TEST_CONNECTIONS_FILE;
if (file) {
  const connect = Socket.prototype.connect;
  Socket.prototype.connect = function (this: Socket, ...args: unknown[]) {
    // net.connect hands its normalized arguments on as one array; a direct call passes
    // (options), (port, host) or (path).
    const first = Array.isArray(args[0]) ? args[0][0] : args[0];
    const options =
      typeof first === "object" && first !== null
        ? (first as { host?: string; path?: string })
        : typeof first === "number" || /^\d+$/.test(String(first))
          ? { host: typeof args[1] === "string" ? args[1] : undefined }
          : { path: String(first) };
    if (!options.path) {
      // Node connects to localhost when no host is given.
      appendFileSync(file, `host ${options.host ?? "localhost"}\n`);
      this.on("connectionAttempt", (address: string) => appendFileSync(file, `address ${address}\n`));
    }
    return connect.apply(this, args as Parameters<typeof connect>);
  } as typeof connect;
}
