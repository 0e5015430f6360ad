// rjsf's validator on @cfworker/json-schema, which interprets a schema instead of compiling it
// to JavaScript: Ajv (and so @rjsf/validator-ajv8) builds its checks with `new Function`, which
// the service's Content-Security-Policy (`script-src 'self'`, no 'unsafe-eval') forbids.
import { Validator, type OutputUnit, type Schema, type SchemaDraft } from '@cfworker/json-schema';
import {
  createErrorHandler,
  getDefaultFormState,
  ROOT_SCHEMA_PREFIX,
  toErrorSchema,
  unwrapErrorHandler,
  validationDataMerge,
  withIdRefPrefix,
  type CustomValidator,
  type ErrorTransformer,
  type RJSFSchema,
  type RJSFValidationError,
  type UiSchema,
  type ValidationData,
  type ValidatorType,
} from '@rjsf/utils';

type FormData = unknown;

/** Keywords that only say "something inside failed": the errors inside say what. */
const WRAPPERS = new Set([
  '$ref',
  '$recursiveRef',
  'properties',
  'patternProperties',
  'additionalProperties',
  'unevaluatedProperties',
  'prefixItems',
  'items',
  'additionalItems',
  'unevaluatedItems',
  'allOf',
  'if',
  'dependentSchemas',
  'dependencies',
]);

function draftOf(schema: RJSFSchema): SchemaDraft {
  const uri = schema.$schema ?? '';
  if (uri.includes('draft-04')) return '4';
  if (uri.includes('draft-07') || uri.includes('draft-06')) return '7';
  if (uri.includes('2019-09')) return '2019-09';
  return '2020-12';
}

/** `#/samples/0` -> `.samples.0`, the property path rjsf places errors by. */
function propertyPath(instanceLocation: string): string {
  return instanceLocation
    .replace(/^#/, '')
    .split('/')
    .slice(1)
    .map((part) => '.' + decodeURIComponent(part).replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('');
}

function toRjsfError(unit: OutputUnit): RJSFValidationError {
  let property = propertyPath(unit.instanceLocation);
  let message = unit.error;
  const missing = unit.keyword === 'required' && /required property "(.*)"\.$/.exec(unit.error);
  if (missing) {
    property = `${property}.${missing[1]}`;
    message = 'is a required property';
  } else if (unit.keyword === 'false') {
    message = 'is not allowed here';
  }
  return {
    name: unit.keyword,
    property,
    message,
    stack: `${property} ${message}`.trim(),
    schemaPath: unit.keywordLocation,
  };
}

function validate(schema: RJSFSchema, data: FormData, rootSchema?: RJSFSchema) {
  const validator = new Validator(schema as Schema, draftOf(rootSchema ?? schema), false);
  if (rootSchema) validator.addSchema(rootSchema as Schema, ROOT_SCHEMA_PREFIX);
  return validator.validate(data);
}

export const cspSafeValidator: ValidatorType<FormData> = {
  rawValidation<Result = OutputUnit>(schema: RJSFSchema, formData?: FormData) {
    try {
      return { errors: validate(schema, formData).errors as Result[] };
    } catch (error) {
      return { validationError: error as Error };
    }
  },

  validateFormData(
    formData: FormData,
    schema: RJSFSchema,
    customValidate?: CustomValidator<FormData>,
    transformErrors?: ErrorTransformer<FormData>,
    uiSchema?: UiSchema<FormData>,
  ): ValidationData<FormData> {
    const { errors: raw = [], validationError } = this.rawValidation<OutputUnit>(schema, formData);
    let errors = raw.filter((unit) => !WRAPPERS.has(unit.keyword)).map(toRjsfError);
    if (validationError) errors.push({ stack: `the form's schema is invalid: ${validationError.message}` });
    if (transformErrors) errors = transformErrors(errors, uiSchema);
    const errorSchema = toErrorSchema<FormData>(errors);
    if (!customValidate) return { errors, errorSchema };
    const filled = getDefaultFormState(this, schema, formData, schema, true);
    const handler = customValidate(filled, createErrorHandler(filled), uiSchema, errorSchema);
    return validationDataMerge({ errors, errorSchema }, unwrapErrorHandler(handler));
  },

  isValid(schema: RJSFSchema, formData: FormData, rootSchema: RJSFSchema) {
    try {
      return validate(withIdRefPrefix(schema) as RJSFSchema, formData, rootSchema).valid;
    } catch {
      return false;
    }
  },
};
