import { describe, expect, it } from 'vitest';
import { HIDEABLE, isHidden, readClassroom } from './classroom';

describe('classroom panels', () => {
  it('a link can hide the Probe panel, in catalogue order with the others', () => {
    expect(HIDEABLE.map((c) => c.key)).toContain('probe');
    const { classroom, warnings } = readClassroom({ lock: [], hide: ['probe', 'attention'] });
    expect(warnings).toEqual([]);
    expect(classroom.hide).toEqual(['attention', 'probe']);
    expect(isHidden(classroom, 'probe')).toBe(true);
    expect(isHidden({ lock: [], hide: ['ssm'] }, 'probe')).toBe(false);
  });
});
