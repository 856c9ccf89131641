// Event Grid deliveries as Event Grid sends them to a webhook: Event Grid-schema arrays with the
// aeg-* headers, the validation handshake, and Microsoft.Resources events in their real shape.
import { randomUUID } from "node:crypto";

export const ACTOR_OID = "3c1f6f1e-8a5b-4e7d-9c2b-5a4d3e2f1a0b";
export const ACTOR_UPN = "alice@contoso.com";

export interface EventGridEventInput {
  id?: string;
  topic?: string;
  subject?: string;
  eventType?: string;
  data?: unknown;
}

export function eventGridEvent(input: EventGridEventInput = {}): Record<string, unknown> {
  return {
    id: input.id ?? randomUUID(),
    topic: input.topic ?? "/subscriptions/00000000-0000-0000-0000-000000000001",
    subject: input.subject ?? "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/app-web",
    eventType: input.eventType ?? "Microsoft.Resources.ResourceWriteSuccess",
    eventTime: "2025-05-06T09:12:43.1138574Z",
    data: input.data ?? resourceWriteData("app-web"),
    dataVersion: "2",
    metadataVersion: "1",
  };
}

/** `data` of a ResourceWriteSuccess for a resource group write by a user, as ARM reports it. */
export function resourceWriteData(group: string, subscription = "00000000-0000-0000-0000-000000000001") {
  const uri = `/subscriptions/${subscription}/resourceGroups/${group}`;
  return {
    authorization: {
      scope: uri,
      action: "Microsoft.Resources/subscriptions/resourceGroups/write",
      evidence: { role: "Contributor", principalId: ACTOR_OID.replaceAll("-", ""), principalType: "User" },
    },
    claims: {
      aud: "https://management.core.windows.net/",
      iss: "https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/",
      iat: "1746522700",
      nbf: "1746522700",
      exp: "1746527000",
      "http://schemas.microsoft.com/claims/authnclassreference": "1",
      appid: "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
      appidacr: "0",
      "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname": "Alice",
      ipaddr: "203.0.113.7",
      name: "Alice Example",
      "http://schemas.microsoft.com/identity/claims/objectidentifier": ACTOR_OID,
      "http://schemas.microsoft.com/identity/claims/scope": "user_impersonation",
      "http://schemas.microsoft.com/identity/claims/tenantid": "72f988bf-86f1-41af-91ab-2d7cd011db47",
      "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn": ACTOR_UPN,
      ver: "1.0",
    },
    correlationId: randomUUID(),
    httpRequest: {
      clientRequestId: randomUUID(),
      clientIpAddress: "203.0.113.7",
      method: "PUT",
      url: `https://management.azure.com${uri}?api-version=2024-03-01`,
    },
    resourceProvider: "Microsoft.Resources",
    resourceUri: uri,
    operationName: "Microsoft.Resources/subscriptions/resourceGroups/write",
    status: "Succeeded",
    subscriptionId: subscription,
    tenantId: "72f988bf-86f1-41af-91ab-2d7cd011db47",
    resourceGroup: group,
  };
}

export interface DeliveryOptions {
  headers?: Record<string, string>;
  eventType?: "Notification" | "SubscriptionValidation";
  deliveryCount?: number;
  subscription?: string;
}

/** A POST as Event Grid makes it: a JSON array and its aeg-* headers. */
export function eventGridDelivery(events: unknown[], options: DeliveryOptions = {}): RequestInit {
  return {
    method: "POST",
    headers: {
      "content-type": "application/json; charset=utf-8",
      "aeg-event-type": options.eventType ?? "Notification",
      "aeg-subscription-name": options.subscription ?? "ARMBRIDGE-RESOURCE-WRITES",
      "aeg-delivery-count": String(options.deliveryCount ?? 0),
      "aeg-data-version": "2",
      "aeg-metadata-version": "1",
      ...options.headers,
    },
    body: JSON.stringify(events),
  };
}

/** The handshake Event Grid sends when a subscription is created or updated. */
export function validationDelivery(code: string, headers: Record<string, string> = {}): RequestInit {
  const event = eventGridEvent({
    topic: "/subscriptions/00000000-0000-0000-0000-000000000001",
    subject: "",
    eventType: "Microsoft.EventGrid.SubscriptionValidationEvent",
    data: {
      validationCode: code,
      validationUrl: `https://rp-westeurope.eventgrid.azure.net:553/eventsubscriptions/armbridge/validate?id=${code}&t=2025-05-06T09:10:00Z&apiVersion=2025-02-15&token=x`,
    },
  });
  return eventGridDelivery([event], { eventType: "SubscriptionValidation", headers });
}
