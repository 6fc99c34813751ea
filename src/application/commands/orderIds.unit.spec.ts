import { v4 as uuidv4, v5 as uuidv5 } from 'uuid';
import { orderIdOf } from './orderIds';

/** Order ids are stored forever: the derivation must give exactly uuid's v5 for every saga id. */
describe('orderIdOf', () => {
  const namespace = '6f1d3c8e-2a9b-4c1d-8e7f-0a1b2c3d4e5f';

  it('is uuid v5 of the saga id in the order namespace', () => {
    const sagaIds = [...Array.from({ length: 500 }, () => uuidv4()), '', 'not-a-uuid', 'ünïcødé ✓', 'A'.repeat(300)];
    for (const sagaId of sagaIds) expect(orderIdOf(sagaId)).toBe(uuidv5(sagaId, namespace));
  });

  it('keeps the ids already handed out', () => {
    expect(orderIdOf('12f39fbf-eea7-48e6-869b-3435572d0b6e')).toBe('8f4a7744-1df1-5dab-a85b-95ae08175600');
  });
});
