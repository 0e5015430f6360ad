import { ErrorSchemaBuilder, type ErrorSchema } from '@rjsf/utils';

// The service names a refused parameter by its Python path: `params['a'][0]['b']: message`.
const LEADING_PATH = /^params((?:\[(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|\d+)\])*): ([\s\S]*)$/;
const PART = /\[(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|(\d+))\]/g;

const unescape = (text: string) => text.replace(/\\(.)/g, '$1');

/**
 * The server's message as errors beside the parameter it names; null when it names no
 * parameter (then it belongs at the top of the form).
 */
export function paramsErrorSchema(message: string): ErrorSchema | null {
  const match = LEADING_PATH.exec(message);
  if (!match || !match[1]) return null;
  const path = [...match[1].matchAll(PART)].map(
    ([, single, double, index]) => index ?? unescape(single ?? double),
  );
  return new ErrorSchemaBuilder().addErrors(match[2], path).ErrorSchema;
}
