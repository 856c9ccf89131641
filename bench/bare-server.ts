// The benchmark's yardstick: a bare Hono handler that parses the same JSON and answers 202, nothing more.
import { serve } from "@hono/node-server";
import { Hono } from "hono";

const app = new Hono();
app.post("/hooks/:hookId", async (c) => {
  const body = await c.req.json();
  return c.json({ received: typeof body === "object" }, 202);
});

serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info) => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${info.port}` })}\n`);
});
