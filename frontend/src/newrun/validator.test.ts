import type { RJSFSchema } from '@rjsf/utils';
import { cspSafeValidator } from './validator';

const schema: RJSFSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  required: ['length'],
  properties: {
    length: { type: 'integer', minimum: 10 },
    samples: { type: 'array', items: { type: 'string', pattern: '^[a-z]+(?![\\s\\S])' } },
  },
};

describe('cspSafeValidator', () => {
  it('places each error on the field it concerns', () => {
    const { errors, errorSchema } = cspSafeValidator.validateFormData(
      { length: 5, samples: ['ok', 'Bad!'] },
      schema,
    );
    expect(errors.map((e) => e.property)).toEqual(['.length', '.samples.1']);
    expect(errorSchema).toEqual({
      length: { __errors: ['5 is less than 10.'] },
      samples: { 1: { __errors: ['String does not match pattern.'] } },
    });
  });

  it('reports a missing required property beside that property', () => {
    const { errorSchema } = cspSafeValidator.validateFormData({}, schema);
    expect(errorSchema).toEqual({ length: { __errors: ['is a required property'] } });
  });

  it('accepts valid data', () => {
    expect(cspSafeValidator.validateFormData({ length: 10, samples: ['a'] }, schema).errors).toEqual([]);
  });

  it('resolves references into the root schema when rjsf asks whether an option fits', () => {
    const root: RJSFSchema = { $defs: { positive: { type: 'integer', minimum: 1 } } };
    const option: RJSFSchema = { $ref: '#/$defs/positive' };
    expect(cspSafeValidator.isValid(option, 3, root)).toBe(true);
    expect(cspSafeValidator.isValid(option, 0, root)).toBe(false);
  });

  it('never builds code from the schema', () => {
    const evalSpy = vi.spyOn(globalThis, 'Function');
    cspSafeValidator.validateFormData({ length: 1 }, schema);
    expect(evalSpy).not.toHaveBeenCalled();
  });
});
