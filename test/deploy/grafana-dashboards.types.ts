// The Grafana dashboards under deploy/grafana/ checked against @grafana/schema by `npm run typecheck`: a malformed panel fails tsc.
import type { Dashboard } from '@grafana/schema';
import driftwarden from '../../deploy/grafana/dashboards/driftwarden.json' with { type: 'json' };

/**
 * The schema as a JSON import can meet it: a JSON module's strings and numbers are typed `string`
 * and `number`, never an enum member, so enum-valued fields are checked as their base type.
 */
type AsJson<T> = T extends string
  ? string
  : T extends number
    ? number
    : T extends boolean
      ? boolean
      : T extends readonly (infer E)[]
        ? AsJson<E>[]
        : T extends object
          ? { [K in keyof T]: AsJson<T[K]> }
          : T;

type KeysOf<S> = S extends object ? keyof S : never;
type ValueOf<S, K extends PropertyKey> = S extends object ? (K extends keyof S ? S[K] : never) : never;

/**
 * `A` with every key that no member of `S` declares typed `never`, at every depth: excess keys of
 * an import are not checked by `satisfies` (only fresh object literals are), so a misspelt key
 * (`gridpos`, `targtes`) would otherwise pass.
 */
type KnownKeysOnly<A, S> = unknown extends S
  ? A
  : A extends readonly (infer E)[]
    ? KnownKeysOnly<E, NonNullable<S> extends readonly (infer SE)[] ? SE : never>[]
    : A extends object
      ? {
          [K in keyof A]: K extends KeysOf<NonNullable<S>>
            ? KnownKeysOnly<A[K], ValueOf<NonNullable<S>, K>>
            : never;
        }
      : A;

export const dashboards = [
  driftwarden satisfies AsJson<Dashboard> satisfies KnownKeysOnly<typeof driftwarden, Dashboard>,
];
