// Cross-checks between the parts of a valid config: mistakes the schema cannot see because each part
// is fine alone, which a person would otherwise find in production (a refused route, a 400 from a
// subscription, an OIDC caller any repository may impersonate).
import type { Config } from "../config/schema.ts";

export interface Finding {
  level: "error" | "warning";
  path: string;
  message: string;
}

/** Claims naming one pipeline or repository (never reused), per OIDC preset; one must be a condition. */
const ID_CLAIMS: Record<string, readonly string[]> = {
  "github-actions": ["repository_id"],
  "gitlab-ci": ["project_id"],
  "azure-devops": ["prj_id", "def_id", "rpo_id"],
  entra: ["oid", "azp", "appid"],
  custom: ["sub"],
};

/** What deploy/main.bicep's `eventGrid` parameter configures: the source it delivers to, and how. */
export interface EventGridDeployment {
  sourceId: string;
  /** `EventGridSchema` or `CloudEventSchemaV1_0` (the Bicep's default). */
  deliverySchema: string;
}

export function crossCheck(config: Config, deployment?: EventGridDeployment): Finding[] {
  return [...routeGrants(config), ...oidcIds(config), ...deliverySchemas(config, deployment)];
}

function routeGrants(config: Config): Finding[] {
  const findings: Finding[] = [];
  config.routes.forEach((route, i) => {
    const trigger = route.trigger as { hook?: string; source?: string };
    const entry = trigger.hook
      ? config.hooks.find((h) => h.id === trigger.hook)
      : config.sources.find((s) => s.id === trigger.source);
    const callers = new Set(entry?.callers ?? []);
    route.actions.forEach((action, j) => {
      const allowed = config.grants.some(
        (g) =>
          callers.has(g.caller) && (g.operations.includes("*") || g.operations.includes(action.operation)),
      );
      if (!allowed) {
        findings.push({
          level: "error",
          path: `routes[${i}].actions[${j}].operation`,
          message: `no grant of ${[...callers].map((c) => `'${c}'`).join(", ") || "its callers"} allows '${action.operation}': every event of this route would be refused`,
        });
      }
    });
  });
  return findings;
}

function oidcIds(config: Config): Finding[] {
  const findings: Finding[] = [];
  config.callers.forEach((caller, i) => {
    if (caller.kind !== "oidc") return;
    const ids = ID_CLAIMS[caller.preset] ?? [];
    if (ids.some((claim) => claim in caller.conditions)) return;
    findings.push({
      level: "warning",
      path: `callers[${i}].conditions`,
      message: `no condition on ${ids.join(" or ")}: every ${caller.preset} identity the other conditions let through may call as '${caller.id}'`,
    });
  });
  return findings;
}

const SUBSCRIPTION_SENDS: Record<string, "eventgrid" | "cloudevents"> = {
  EventGridSchema: "eventgrid",
  CloudEventSchemaV1_0: "cloudevents",
};

function deliverySchemas(config: Config, deployment: EventGridDeployment | undefined): Finding[] {
  if (!deployment) return [];
  const i = config.sources.findIndex((s) => s.id === deployment.sourceId);
  if (i < 0) {
    return [
      {
        level: "error",
        path: "sources",
        message: `the Event Grid subscription delivers to source '${deployment.sourceId}', which the config does not have`,
      },
    ];
  }
  const source = config.sources[i] as Config["sources"][number];
  const sends = SUBSCRIPTION_SENDS[deployment.deliverySchema];
  if (source.schema === "both" || source.schema === sends) return [];
  return [
    {
      level: "error",
      path: `sources[${i}].schema`,
      message: `'${source.schema}', but its Event Grid subscription sends ${deployment.deliverySchema}: every delivery would be refused with 400`,
    },
  ];
}

/** `eventGrid` of an ARM parameters file of deploy/main.bicep, with the Bicep's default schema. */
export function eventGridDeploymentFrom(parametersJson: string): EventGridDeployment | undefined {
  const doc = JSON.parse(parametersJson) as { parameters?: Record<string, { value?: unknown }> };
  const value = doc.parameters?.eventGrid?.value as
    | { sourceId?: string; deliverySchema?: string }
    | undefined;
  if (!value?.sourceId) return undefined;
  // The default of deploy/main.bicep (`eventGrid.?deliverySchema ?? 'CloudEventSchemaV1_0'`).
  return { sourceId: value.sourceId, deliverySchema: value.deliverySchema ?? "CloudEventSchemaV1_0" };
}
