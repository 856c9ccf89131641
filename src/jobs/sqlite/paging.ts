// Keyset pagination of the job and audit queries: WHERE building (the cursors are jobs/cursor.ts).
import type { SQLInputValue } from "node:sqlite";

export function whereClause() {
  const clauses: string[] = [];
  const args: SQLInputValue[] = [];
  return {
    args,
    add(clause: string, ...values: SQLInputValue[]) {
      clauses.push(clause);
      args.push(...values);
    },
    where: () => (clauses.length ? `WHERE ${clauses.join(" AND ")}` : ""),
  };
}
