import { consoleContext } from './harness';
import { BENCHMARKS } from './registry';

/** `npm run bench` runs all benchmarks; `npm run bench -- NAME [ARGS…]` runs one. */
async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  const names = name ? [name] : Object.keys(BENCHMARKS);
  if (name && !BENCHMARKS[name]) {
    console.error(`unknown benchmark ${name} (accepted: ${Object.keys(BENCHMARKS).join(', ')})`);
    return 2;
  }
  console.log(`node ${process.version}, ${new Date().toISOString()}`);
  for (const n of names) {
    await BENCHMARKS[n]!(consoleContext(n, name ? args : []));
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
