// The event an ingress adapter hands to the router, whatever protocol it arrived by.

export interface BridgeEvent {
  /** Where it came from: `hook:{hookId}`, an Event Grid `topic` or a CloudEvents `source`. Part of the de-duplication key. */
  source: string;
  /** The delivery's own id (X-GitHub-Delivery, Event Grid id, …) when it has one. */
  id: string | undefined;
  /** e.g. `push` for GitHub, `Microsoft.Resources.ResourceWriteSuccess` for Event Grid. */
  type: string;
  subject: string | undefined;
  data: unknown;
  /** Request headers, lowercased, without credentials. */
  headers: Record<string, string>;
  /** When it happened (Event Grid `eventTime`, CloudEvents `time`), ISO 8601. */
  time?: string;
  /** W3C trace context to continue: the event's own (CloudEvents distributed tracing) or the delivery's. */
  traceparent?: string;
}
