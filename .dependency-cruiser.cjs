// Layering rules (DEVELOPERS.md "Architecture"): codecs are pure, protocol engines are sans-IO,
// only the faces (cli, web) and the daemon/node wiring sit on top. Checked in CI by `npm run lint`.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'wire-is-pure',
      comment: 'src/wire holds pure codecs: they import only each other (no Node APIs, no other layers).',
      severity: 'error',
      from: { path: '^src/wire/' },
      to: { pathNot: '^src/wire/' },
    },
    {
      name: 'engines-are-sans-io',
      comment: 'Protocol engines take events and return actions: no sockets, timers, files, or upper layers.',
      severity: 'error',
      from: { path: '^src/(bgp|evpn|mlag|lacp|bfd|dataplane)/' },
      to: {
        path: '^(node:)?(net|dgram|fs|timers|child_process|http|https)$|^src/(lab|node|cli|web)/',
        pathNot: '^src/dataplane/linux/',
      },
    },
    {
      name: 'nothing-imports-the-lab',
      comment: 'The lab is a face: only the CLI and web may start it.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(lab|cli|web)/' },
      to: { path: '^src/lab/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
