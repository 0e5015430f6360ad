import { paramsErrorSchema } from './paramsError';

describe('paramsErrorSchema', () => {
  it('puts the message beside the parameter the service named', () => {
    expect(paramsErrorSchema("params['length']: 5 is less than the minimum of 10")).toEqual({
      length: { __errors: ['5 is less than the minimum of 10'] },
    });
  });

  it('follows nested paths through arrays and quotes', () => {
    expect(paramsErrorSchema(`params['sequences'][1]["it's"]: 'x' does not match`)).toEqual({
      sequences: { 1: { "it's": { __errors: ["'x' does not match"] } } },
    });
  });

  it('leaves a message that names no parameter to the top of the form', () => {
    expect(paramsErrorSchema("params: 'length' is a required property")).toBeNull();
    expect(paramsErrorSchema('workflow quickstart has no engine nextflow')).toBeNull();
  });
});
