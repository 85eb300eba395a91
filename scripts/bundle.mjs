// Bundles the CLI so `node dist/berth.js` starts fast: dist/berth.js plus shared chunks, split
// where a command loads its code (src/cli/main.ts), so each command reads only what it runs.
// Native addons stay external: they are loaded from node_modules at run time.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build } from 'esbuild';

const result = await build({
  entryPoints: { berth: 'src/cli/main.ts' },
  outdir: 'dist',
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  metafile: true,
  external: ['better-sqlite3', 'etcd3'],
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __berthCreateRequire } from 'node:module'; const require = __berthCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});

// Chunk names carry content hashes: drop earlier builds' chunks (after writing the new ones, so
// a berth process starting meanwhile still finds a whole build).
const written = new Set(Object.keys(result.metafile.outputs).map((p) => relative('dist', p)));
for (const f of existsSync('dist/chunks') ? readdirSync('dist/chunks') : []) if (!written.has(join('chunks', f))) rmSync(join('dist/chunks', f));
if (process.env.BERTH_BUNDLE_META) (await import('node:fs')).writeFileSync(process.env.BERTH_BUNDLE_META, JSON.stringify(result.metafile));
