import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Runs a TypeScript entry in a worker when Breakglass runs from its sources (the test
 * suite): a transpile-only require hook from the `typescript` devDependency. Built
 * installations always have the compiled `.js` next to the module and never load it.
 */
const TS_LOADER = `
const fs = require('node:fs');
const ts = require('typescript');
require.extensions['.ts'] = (m, file) => m._compile(ts.transpileModule(fs.readFileSync(file, 'utf8'), {
  fileName: file,
  compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
}).outputText, file);
require(require('node:worker_threads').workerData.__entry);
`;

/**
 * Starts the worker script `name` (without extension) that sits in `dir`: the compiled
 * `name.js`, or `name.ts` through a transpile-only loader when only the source exists.
 * Throws a TypeError (an installation bug) when neither does.
 */
export function startWorker(dir: string, name: string, options: WorkerOptions = {}): Worker {
  const js = join(dir, `${name}.js`);
  if (existsSync(js)) return new Worker(js, options);
  const ts = join(dir, `${name}.ts`);
  if (!existsSync(ts)) throw new TypeError(`worker script ${js} is missing`);
  const workerData = { ...(options.workerData as object), __entry: ts };
  return new Worker(TS_LOADER, { ...options, eval: true, workerData });
}
