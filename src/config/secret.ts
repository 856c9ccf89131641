// A secret value that cannot leak by accident: it prints, logs and serialises as its name only.
// A Key Vault secret starts without a value and is filled (and refilled after a rotation) at run time.
import { inspect } from "node:util";

/** Why a value cannot serve as this secret (`must be at least 16 characters`), or undefined when it can. */
export type SecretCheck = (value: string) => string | undefined;

export class Secret {
  readonly name: string;
  /** The Key Vault secret's URL (`https://NAME.vault.azure.net/secrets/S`) when the value lives there. */
  readonly keyVaultUrl: string | undefined;
  /** Applied to every value a refresh brings; a value that fails it is refused and the old ones stay. */
  readonly check: SecretCheck | undefined;
  #values: readonly string[];

  constructor(
    name: string,
    value: string | undefined,
    options: { keyVaultUrl?: string; check?: SecretCheck } = {},
  ) {
    this.name = name;
    this.#values = value === undefined ? [] : [value];
    this.keyVaultUrl = options.keyVaultUrl;
    this.check = options.check;
  }

  /** The only way to the current value; call it where the value is used, never to log or return it. */
  reveal(): string {
    const value = this.#values[0];
    if (value === undefined) throw new Error(`secret ${this.name} has not been read from Key Vault yet`);
    return value;
  }

  /**
   * The values a caller's proof may match: the current one and, while a rotation overlaps, the
   * previous one. Verifiers compare against all of them; nothing signs with the previous one.
   */
  candidates(): readonly string[] {
    if (this.#values.length === 0) this.reveal();
    return this.#values;
  }

  /** Whether a value has been set (a Key Vault secret has none until its first read). */
  get resolved(): boolean {
    return this.#values.length > 0;
  }

  /** Replaces the values after a Key Vault read: the current one first, then the previous one. */
  update(values: readonly string[]): void {
    if (values.length === 0) throw new Error(`secret ${this.name}: no value`);
    this.#values = [...values];
  }

  toJSON(): string {
    return `[secret ${this.name}]`;
  }

  toString(): string {
    return this.toJSON();
  }

  [inspect.custom](): string {
    return this.toJSON();
  }
}

/** Every Secret in a parsed config (or any object tree), each once. */
export function secretsIn(value: unknown, found: Set<Secret> = new Set()): Set<Secret> {
  if (value instanceof Secret) found.add(value);
  else if (Array.isArray(value)) for (const item of value) secretsIn(item, found);
  else if (value !== null && typeof value === "object") {
    for (const item of Object.values(value)) secretsIn(item, found);
  }
  return found;
}
