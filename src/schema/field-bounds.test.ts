import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { modelFields } from './architecture';
import { experimentShape } from './experiment';
import { checkNumber, descriptionOf, innerSchema, numberBounds, schemaAt } from './field-bounds';

describe('field bounds', () => {
  it('reads min, max, whole numbers and the description through wrappers', () => {
    const s = z.number().int().min(2).max(40).default(7).describe('a count');
    expect(numberBounds(s)).toEqual({ min: 2, max: 40, integer: true, description: 'a count' });
    const real = z.number().min(0.5).nullable().optional().describe('a real');
    expect(numberBounds(real)).toEqual({ min: 0.5, max: undefined, integer: false, description: 'a real' });
    expect(innerSchema(real).def.type).toBe('number');
  });

  it('finds a description inside wrappers when the outside has none', () => {
    expect(descriptionOf(z.number().describe('inner').optional())).toBe('inner');
    expect(descriptionOf(z.number().optional())).toBe('');
  });

  it('walks the experiment schema to its fields (through prefault and optional)', () => {
    expect(numberBounds(schemaAt(experimentShape, ['batchSize']))).toMatchObject({
      min: 1,
      max: 1024,
      integer: true,
    });
    expect(numberBounds(schemaAt(experimentShape, ['optimizer', 'beta2']))).toMatchObject({
      min: 0,
      max: 0.999999,
      integer: false,
    });
    expect(numberBounds(schemaAt(experimentShape, ['curriculum', 'points', 'interval']))).toMatchObject({
      min: 1,
      max: 10_000_000,
    });
    expect(numberBounds(schemaAt(experimentShape, ['evaluation', 'bootstrap'])).description).toMatch(
      /bootstrap/,
    );
    expect(numberBounds(schemaAt(modelFields, ['dState']))).toMatchObject({ min: 1, max: 64, integer: true });
    expect(() => schemaAt(experimentShape, ['optimizer', 'momentum'])).toThrow(/optimizer\.momentum/);
    expect(() => numberBounds(schemaAt(modelFields, ['arch']))).toThrow(/not a number/);
  });

  it('every number of the experiment schema has a description', () => {
    const paths = [
      ['batchSize'],
      ['steps'],
      ['seed'],
      ['clip'],
      ['optimizer', 'lr'],
      ['optimizer', 'beta1'],
      ['optimizer', 'beta2'],
      ['optimizer', 'eps'],
      ['evaluation', 'prompts'],
      ['evaluation', 'everySteps'],
      ['evaluation', 'bootstrap'],
      ...['dims', 'points'].flatMap((p) =>
        ['start', 'end', 'inc', 'interval'].map((k) => ['curriculum', p, k]),
      ),
    ];
    for (const p of paths)
      expect(numberBounds(schemaAt(experimentShape, p)).description, p.join('.')).not.toBe('');
  });

  it('says in words which limit a value breaks', () => {
    const s = z.number().int().min(1).max(64).default(20);
    expect(checkNumber(s, 20)).toBeNull();
    expect(checkNumber(s, 65)).toBe('must be at most 64');
    expect(checkNumber(s, 0)).toBe('must be at least 1');
    expect(checkNumber(s, 2.5)).toBe('must be a whole number');
    expect(checkNumber(z.number().positive(), 0)).toBe('must be above 0');
    expect(checkNumber(z.number(), Number.POSITIVE_INFINITY)).toBe('must be a finite number');
    // a default or optional wrapper does not let a value through
    expect(checkNumber(schemaAt(experimentShape, ['optimizer', 'eps']), 1)).toBe('must be at most 0.001');
  });
});
