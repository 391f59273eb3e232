/**
 * The route target constraint helpers (src/bgp/rt-constraint.ts): what a peer's memberships let
 * through, when a change of them means offering the table again, what we ask for, and how a
 * membership reads.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  NOTHING,
  ownMemberships,
  rtFilter,
  rtFilterAllows,
  rtFilterGrew,
  rtMembershipText,
} from '../../src/bgp/rt-constraint.js';
import type { PathAttrs } from '../../src/bgp/rib.js';
import { extendedCommunityToBytes, parseRouteTarget } from '../../src/wire/bgp-community.js';
import { rtMembership } from '../../src/wire/bgp-update.js';

const rt = (text: string) => extendedCommunityToBytes(parseRouteTarget(text));
const carrying = (...routeTargets: string[]) => ({ routeTargets }) as unknown as PathAttrs;

describe('route target constraint helpers', () => {
  it('a filter lets through the routes of the targets asked for, and routes carrying none', () => {
    const f = rtFilter([rtMembership(65002, rt('65000:100'))]);
    assert.ok(rtFilterAllows(f, carrying('RT:65000:100')));
    assert.ok(rtFilterAllows(f, carrying('RT:65000:200', 'RT:65000:100')));
    assert.ok(!rtFilterAllows(f, carrying('RT:65000:200')));
    assert.ok(rtFilterAllows(f, carrying()), 'an Ethernet Segment route (ES-Import target only)');
    assert.ok(!rtFilterAllows(NOTHING, carrying('RT:65000:100')));
    assert.ok(rtFilterAllows(rtFilter([rtMembership(0, undefined)]), carrying('RT:1:1')));
    // A route-target prefix: 2-octet-AS targets of AS 65000 (type, subtype, AS: 32 bits).
    const prefix = rtFilter([{ prefixLength: 64, originAs: 7, routeTarget: rt('65000:0') }]);
    assert.ok(rtFilterAllows(prefix, carrying('RT:65000:4242')));
    assert.ok(!rtFilterAllows(prefix, carrying('RT:65001:4242')));
  });

  it('grows when a new target or the default is asked for, not when the same one comes again', () => {
    const a = rtFilter([rtMembership(1, rt('65000:100'))]);
    const ab = rtFilter([rtMembership(1, rt('65000:100')), rtMembership(2, rt('65000:200'))]);
    const again = rtFilter([rtMembership(1, rt('65000:100')), rtMembership(2, rt('65000:100'))]);
    assert.ok(rtFilterGrew(a, ab));
    assert.ok(!rtFilterGrew(ab, a), 'a narrower filter did not grow');
    assert.ok(rtFilterGrew(ab, a) === false && rtFilterGrew(a, again) === false);
    assert.ok(rtFilterGrew(NOTHING, a));
    assert.ok(rtFilterGrew(ab, rtFilter([rtMembership(0, undefined)])));
    assert.ok(!rtFilterGrew(rtFilter([rtMembership(0, undefined)]), ab));
  });

  it('asks for each imported target once, or for everything when the imports cannot be listed', () => {
    assert.deepEqual(ownMemberships(65002, ['65000:100', '65000:100', '65000:200']).map(rtMembershipText), [
      '65002:65000:100',
      '65002:65000:200',
    ]);
    assert.deepEqual(ownMemberships(65002, undefined).map(rtMembershipText), ['default']);
  });

  it('reads a membership as GoBGP prints it', () => {
    assert.equal(rtMembershipText(rtMembership(0, undefined)), 'default');
    assert.equal(rtMembershipText(rtMembership(65002, rt('10.0.0.1:7'))), '65002:10.0.0.1:7');
    assert.equal(
      rtMembershipText({ prefixLength: 48, originAs: 65002, routeTarget: rt('65000:1') }),
      '65002:0002/48',
    );
  });
});
