import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigContext, ConfigError } from '../../src/config/reader.js';

describe('config reader', () => {
  it('reads typed fields', () => {
    const ctx = new ConfigContext(
      't.yaml',
      'asn: 65001\nname: leaf1\nflag: true\nitems:\n  - a: 1\n  - a: 2\n',
    );
    const root = ctx.root();
    assert.equal(root.field('asn').integer({ required: true }), 65001);
    assert.equal(root.field('name').string(), 'leaf1');
    assert.equal(root.field('flag').boolean(), true);
    assert.deepEqual(
      root
        .field('items')
        .list()
        .map((n) => n.field('a').integer()),
      [1, 2],
    );
    ctx.finish();
  });

  it('reports every problem with file, line, column and path', () => {
    const text = 'asn: 70000000000\nneighbors:\n  - address: 10.0.0.2\n    remote-ass: 65002\n  - port: x\n';
    const ctx = new ConfigContext('dev.yaml', text);
    const root = ctx.root();
    root.allowOnly(['asn', 'neighbors']);
    root.field('asn').integer({ min: 1, max: 4294967295 });
    for (const n of root.field('neighbors').list()) {
      n.allowOnly(['address', 'remote-as', 'port']);
      n.field('remote-as').integer({ required: true });
      n.field('port').optionalInteger({ min: 1, max: 65535 });
    }
    assert.throws(
      () => ctx.finish(),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        const lines = e.message.split('\n');
        assert.equal(lines.length, 5, e.message);
        assert.match(lines[0]!, /^dev\.yaml:1:6: asn: 70000000000 is out of range/);
        assert.match(
          lines[1]!,
          /^dev\.yaml:4:5: neighbors\[0\]\.remote-ass: unknown field .*did you mean "remote-as"/,
        );
        assert.match(lines[2]!, /^dev\.yaml:3:5: neighbors\[0\]\.remote-as: required field is missing/);
        assert.match(lines[4]!, /^dev\.yaml:5:11: neighbors\[1\]\.port: expected an integer, got "x"/);
        return true;
      },
    );
  });

  it('reports YAML syntax errors with their position', () => {
    const ctx = new ConfigContext('bad.yaml', 'a: [1, 2\nb: 3\n');
    assert.throws(() => ctx.finish(), /bad\.yaml:\d+:\d+: YAML: /);
  });

  it('rejects duplicate keys', () => {
    const ctx = new ConfigContext('dup.yaml', 'a: 1\na: 2\n');
    assert.throws(() => ctx.finish(), /dup\.yaml:2:1: YAML: .*[Uu]nique/);
  });

  it('rejects duplicate keys in flow and nested maps, in file order, and keeps keys of other maps apart', () => {
    const ctx = new ConfigContext(
      'dup.yaml',
      'n:\n  x: { p: 1, q: 2, p: 3 }\n  y: { p: 1 }\nm: { 1: a, "1": b }\nn: 2\n',
    );
    assert.deepEqual(
      ctx.problems.map((p) => [p.line, p.column, p.message]),
      [
        [2, 20, 'YAML: Map keys must be unique'],
        [5, 1, 'YAML: Map keys must be unique'],
      ],
    );
  });
});
