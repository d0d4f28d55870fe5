import tseslint from 'typescript-eslint';

// Layer boundaries. Dependencies point inward: domain ← core ← app ← adapters ← composition roots
// (src/main.ts, src/cli/). Adapters meet through the ports in src/app, never by importing each other.
const ADAPTERS = [
  'agent',
  'aws',
  'config',
  'demo', // what `demo` adds to the simulator: manifests for its images, the drift injector
  'host',
  'http',
  'logging',
  'manifests',
  'metrics',
  'rules',
  'sources',
  'store',
  'webhook',
];
const FOLDERS = ['domain', 'core', 'app', ...ADAPTERS, 'cli'];

/** What each layer may import from other src folders (its own folder is always allowed). */
const LAYERS = {
  domain: { may: [], rule: 'src/domain is the vocabulary: it imports nothing from other src folders.' },
  core: { may: ['domain'], rule: 'src/core is pure: it imports only src/domain.' },
  app: {
    may: ['domain', 'core'],
    rule: 'src/app imports only domain, core and app: adapters implement its ports, app never calls them.',
  },
  ...Object.fromEntries(
    ADAPTERS.map((name) => [
      name,
      {
        may: ['domain', 'core', 'app'],
        rule: `src/${name} is an adapter: it imports domain, core, app (ports) and the shared helpers, not another adapter (exceptions are listed in eslint.config.js).`,
      },
    ]),
  ),
};

/** Leaf helpers any adapter may use: they import only domain/core and libraries. */
const SHARED_HELPERS = [
  'config/aws-patterns.js', // the id/region regexes every zod boundary validates with
  'config/zod-issues.js', // one wording for zod errors, wherever input is validated
  'config/yaml-source.js', // YAML with line numbers, for config, rules and manifests alike
  'manifests/json-path.js', // JSON paths in error messages (manifests and API bodies)
  'manifests/json-syntax-error.js', // line and column of a JSON syntax error (manifests and API bodies)
];

/** Adapter → adapter edges that stay, each with its reason. `typeOnly`: only `import type` is allowed. */
const ALLOWED_EDGES = [
  {
    from: 'http',
    to: 'manifests/parse-manifest.js',
    why: 'POST /manifests validates its body with the same parser as `manifest import`.',
  },
  {
    from: 'http',
    to: 'manifests/manifest-schema.js',
    why: "a fingerprint push's host section is validated with the manifest's host schema: one schema, one wording.",
  },
  {
    from: 'http',
    to: 'host/skips.js',
    why: 'the daemon refuses more skipped paths than the agent ever sends (MAX_SKIPPED): both read one constant.',
  },
  {
    from: 'http',
    to: 'metrics',
    typeOnly: true,
    why: 'GET /metrics serves the Metrics registry main.ts passes in.',
  },
  {
    from: 'metrics',
    to: 'aws/aws-middleware.js',
    typeOnly: true,
    why: 'the AWS request counter is labelled with the outcomes the SDK middleware reports.',
  },
  {
    from: 'agent',
    to: 'host',
    why: 'the agent is the on-host program: it fingerprints the host with src/host.',
  },
];

const SIMULATOR = ['**/simulator', '**/simulator/**', '@driftwarden/simulator', '@driftwarden/simulator/**'];
const SIMULATOR_RULE =
  'The daemon never loads the simulator: only `driftwarden simulate` and `driftwarden demo` do, with a dynamic import().';
/** The only files that may load the simulator (dynamically) and name its types. */
const SIMULATOR_USERS = [
  'src/cli/commands/simulate.ts',
  'src/cli/commands/simulate-action.ts',
  'src/cli/commands/demo.ts',
  'src/cli/commands/demo-action.ts',
  'src/demo/**',
];

const PURE_LIBRARIES = [
  'node:*',
  'fs',
  'path',
  'better-sqlite3',
  'express',
  'pino',
  'prom-client',
  '@aws-sdk/*',
];

/** Libraries a layer may not import at all (on top of the folder rules). */
const LIBRARIES = {
  domain: [{ group: PURE_LIBRARIES, message: 'src/domain is pure: no I/O imports.' }],
  core: [{ group: PURE_LIBRARIES, message: 'src/core is pure: no I/O imports.' }],
  app: [
    {
      // Hashing (digests, ids) and events are computation, not I/O.
      group: [
        'node:*',
        '!node:crypto',
        '!node:events',
        'fs',
        'path',
        'better-sqlite3',
        'express',
        'prom-client',
        '@aws-sdk/*',
      ],
      message: 'src/app reaches SQLite, HTTP, AWS and the file system only through its ports.',
    },
    { group: ['pino'], allowTypeImports: true, message: 'src/app logs through the Logger it is given.' },
  ],
};

const escapeRegex = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function importPatterns(layer) {
  const { may, rule } = LAYERS[layer];
  const edges = ALLOWED_EDGES.filter((e) => e.from === layer);
  const helpers = ADAPTERS.includes(layer) ? SHARED_HELPERS : [];
  const patterns = [];
  for (const folder of FOLDERS) {
    if (folder === layer || may.includes(folder)) continue;
    const inFolder = (to) => to === folder || to.startsWith(`${folder}/`);
    if (edges.some((e) => e.to === folder && !e.typeOnly)) continue;
    const allowedFiles = [...helpers, ...edges.filter((e) => !e.typeOnly).map((e) => e.to)].filter(inFolder);
    patterns.push({
      group: [`**/${folder}/**`, ...allowedFiles.map((file) => `!**/${file}`)],
      message: rule,
    });
    for (const edge of edges.filter((e) => e.typeOnly && inFolder(e.to))) {
      // Re-restricts the type-only target with type imports allowed; the folder group above skips it.
      patterns.at(-1).group.push(`!**/${edge.to === folder ? `${folder}/**` : edge.to}`);
      patterns.push({
        group: [edge.to === folder ? `**/${folder}/**` : `**/${edge.to}`],
        allowTypeImports: true,
        message: `${rule} src/${layer} may import types only from src/${edge.to}.`,
      });
    }
  }
  patterns.push({ group: ['**/main.js'], message: `${rule} Only src/cli starts the daemon (src/main.ts).` });
  // package-root.ts finds files on disk: only adapters need it.
  if (!ADAPTERS.includes(layer)) patterns.push({ group: ['**/package-root.js'], message: rule });
  return patterns;
}

/** Dynamic import() is not seen by no-restricted-imports: the same folders, as a selector. */
function dynamicImportSelectors(layer) {
  const forbidden = FOLDERS.filter((f) => f !== layer && !LAYERS[layer].may.includes(f));
  // esquery regexes cannot contain "/", so \u002F stands for it.
  const folders = forbidden.map(escapeRegex).join('|');
  return [
    {
      selector: `ImportExpression[source.value=/\\u002F(${folders}|main\\.js)(\\u002F|$)/]`,
      message: LAYERS[layer].rule,
    },
  ];
}

const SIMULATOR_IMPORT_SELECTOR = `ImportExpression[source.value=/(^|\\u002F)simulator(\\u002F|$)|^@driftwarden\\u002Fsimulator/]`;
const DATE_NOW = {
  selector: "MemberExpression[object.name='Date'][property.name='now']",
  message: 'core takes time as a parameter.',
};

function layerConfig(layer) {
  return {
    files: [`src/${layer}/**/*.ts`],
    ignores: SIMULATOR_USERS,
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            ...importPatterns(layer),
            ...(LIBRARIES[layer] ?? []),
            { group: SIMULATOR, message: SIMULATOR_RULE },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        ...dynamicImportSelectors(layer),
        { selector: SIMULATOR_IMPORT_SELECTOR, message: SIMULATOR_RULE },
        ...(layer === 'core' ? [DATE_NOW] : []),
      ],
    },
  };
}

export default tseslint.config(
  { ignores: ['dist/**', 'packages/*/dist/**', 'node_modules/**', 'eslint.config.js'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // Plain scripts outside the TypeScript project (deploy helpers, test preloads, the UI's browser module): linted without type information.
    files: ['scripts/**/*.mjs', 'deploy/**/*.mjs', 'test/support/*.mjs', 'assets/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  ...Object.keys(LAYERS).map(layerConfig),
  {
    // The composition roots may import any folder, but not the simulator (see SIMULATOR_USERS).
    files: ['src/*.ts', 'src/cli/**/*.ts'],
    ignores: SIMULATOR_USERS,
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ group: SIMULATOR, message: SIMULATOR_RULE }] },
      ],
      'no-restricted-syntax': ['error', { selector: SIMULATOR_IMPORT_SELECTOR, message: SIMULATOR_RULE }],
    },
  },
  {
    // Loading the simulator is their job, but only on use: a static import would load it with the CLI.
    files: SIMULATOR_USERS,
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ group: SIMULATOR, allowTypeImports: true, message: SIMULATOR_RULE }] },
      ],
    },
  },
);
