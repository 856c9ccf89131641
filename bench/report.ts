// The bench's table: every figure of issue 14 next to its yardstick from the same run, its goal, and
// whether the goal is met. Markdown, so the README can show the last run as printed.

export interface Figure {
  figure: string;
  armbridge: string;
  yardstick: string;
  /** The figure as the goal states it (a ratio, or a value in the goal's unit). */
  value: number;
  unit: "×" | "ms" | "MB" | "";
  goal: { op: "≥" | "≤" | "<"; limit: number };
  /** An extra condition (e.g. nothing lost) that must also hold. */
  also?: { text: string; ok: boolean };
}

export const fmt = (n: number, digits = 0) =>
  n.toLocaleString("en", { minimumFractionDigits: digits, maximumFractionDigits: digits });

export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

export function met(f: Figure): boolean {
  const { op, limit } = f.goal;
  const ok = op === "≥" ? f.value >= limit : op === "≤" ? f.value <= limit : f.value < limit;
  return ok && (f.also?.ok ?? true);
}

export function table(figures: readonly Figure[]): string {
  const digits = (f: Figure) => (f.unit === "×" || f.unit === "" ? 2 : 0);
  const rows = figures.map((f) => {
    const value = `${fmt(f.value, digits(f))}${f.unit === "×" ? "×" : f.unit ? ` ${f.unit}` : ""}`;
    const goal = `${f.goal.op} ${fmt(f.goal.limit, f.goal.limit % 1 ? 1 : 0)}${f.unit === "×" ? "×" : f.unit ? ` ${f.unit}` : ""}${f.also ? `, ${f.also.text}` : ""}`;
    return `| ${f.figure} | ${f.armbridge} | ${f.yardstick} | **${value}** | ${goal} | ${met(f) ? "met" : "**not met**"} |`;
  });
  return [
    "| figure | armbridge | yardstick in the same run | figure vs goal | goal | |",
    "|---|---|---|---|---|---|",
    ...rows,
  ].join("\n");
}
