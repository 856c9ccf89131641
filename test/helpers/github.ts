// Builds webhook deliveries exactly as GitHub sends them, signed with GitHub's own library.
import { randomUUID } from "node:crypto";
import { sign } from "@octokit/webhooks-methods";

export async function githubDelivery(
  secret: string,
  payload: unknown,
  options: { event?: string; delivery?: string; body?: string } = {},
): Promise<RequestInit> {
  const body = options.body ?? JSON.stringify(payload);
  return {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "user-agent": "GitHub-Hookshot/test",
      "x-github-event": options.event ?? "push",
      "x-github-delivery": options.delivery ?? randomUUID(),
      "x-hub-signature-256": await sign(secret, body),
    },
    body,
  };
}
