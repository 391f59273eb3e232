/**
 * `npm run bench -- NAME [options]`: runs one benchmark suite and prints its table.
 * Each suite lives in its own file and exports `run(args)`.
 */
const suites: Record<string, () => Promise<{ run(args: string[]): Promise<void> | void }>> = {
  wire: () => import('./wire.js'),
  'bgp-ingest': () => import('./bgp-ingest.js'),
  dataplane: () => import('./dataplane.js'),
  'lab-scale': () => import('./lab-scale.js'),
};

async function main(): Promise<void> {
  const [name, ...args] = process.argv.slice(2);
  const names = Object.keys(suites);
  if (!name || name === '--help') {
    console.log(`usage: npm run bench -- <${names.join('|')}> [options]`);
    process.exit(name ? 0 : 1);
  }
  const load = suites[name];
  if (!load) {
    console.error(`unknown benchmark "${name}"; choose one of: ${names.join(', ')}`);
    process.exit(1);
  }
  await (await load()).run(args);
}

await main();
