// Bundles the CLI into one file so `node dist/berth.js` starts fast (one module to load).
// Native addons stay external: they are loaded from node_modules at run time.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/berth.js',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  external: ['better-sqlite3', 'etcd3'],
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __berthCreateRequire } from 'node:module'; const require = __berthCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
