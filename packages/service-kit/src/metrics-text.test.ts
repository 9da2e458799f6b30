import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMetrics } from './metrics.ts';
import { sampleValue } from './metrics-text.ts';

const text = [
  '# HELP dt_mc_media_handlers Media handlers by health.',
  '# TYPE dt_mc_media_handlers gauge',
  'dt_mc_media_handlers{health="healthy",region="eu"} 2',
  'dt_mc_media_handlers{health="healthy",region="us"} 1',
  'dt_mc_media_handlers{health="unhealthy",region="eu"} 4',
  'dt_mc_media_handlers_other{health="healthy"} 100',
  'dt_mh_active_streams 7 1700000000000',
  'dt_quoted{note="a \\"b\\" c",x="1"} 3',
  'dt_broken{health="healthy"} not-a-number',
].join('\n');

test('sampleValue sums the matching samples of one metric', () => {
  assert.equal(sampleValue(text, 'dt_mc_media_handlers', { health: 'healthy' }), 3);
  assert.equal(sampleValue(text, 'dt_mc_media_handlers', { health: 'healthy', region: 'us' }), 1);
  assert.equal(sampleValue(text, 'dt_mc_media_handlers'), 7, 'no labels asked: every sample');
  assert.equal(sampleValue(text, 'dt_mh_active_streams'), 7, 'unlabelled, with a timestamp');
  assert.equal(sampleValue(text, 'dt_quoted', { note: 'a "b" c' }), 3, 'escaped quotes in a label value');
});

test('sampleValue: undefined when nothing matches; prefixes and bad values are not matches', () => {
  assert.equal(sampleValue(text, 'dt_mc_media_handlers', { health: 'draining' }), undefined);
  assert.equal(sampleValue(text, 'dt_mc_media'), undefined, 'a prefix of a name is not the name');
  assert.equal(sampleValue(text, 'dt_broken'), undefined);
  assert.equal(sampleValue('', 'dt_x'), undefined);
});

test("sampleValue reads what this kit's registry renders", async () => {
  const m = createMetrics({ prefix: 'dt_t_' });
  const g = m.gauge({ name: 'things', help: 'Things.', labelNames: ['kind'] as const });
  g.set({ kind: 'a' }, 2);
  g.set({ kind: 'b' }, 5);
  const rendered = await m.render();
  assert.equal(sampleValue(rendered, 'dt_t_things', { kind: 'b' }), 5);
  assert.equal(sampleValue(rendered, 'dt_t_things'), 7);
});
