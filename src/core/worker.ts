import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Node code that installs a transpile-only require hook for `.ts` files (from the
 * `typescript` devDependency) and then requires the module `entry` evaluates to. Used to
 * run Breakglass from its sources (the test suite: workers here, child processes in
 * tests); built installations never load it.
 */
export function tsLoaderSource(entry: string): string {
  return `
const fs = require('node:fs');
const ts = require('typescript');
require.extensions['.ts'] = (m, file) => m._compile(ts.transpileModule(fs.readFileSync(file, 'utf8'), {
  fileName: file,
  compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
}).outputText, file);
require(${entry});
`;
}

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
  return new Worker(tsLoaderSource("require('node:worker_threads').workerData.__entry"), {
    ...options,
    eval: true,
    workerData,
  });
}
