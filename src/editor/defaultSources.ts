/**
 * The two editor files and their default text: the reference CNN and its qconfig, from the examples
 * gallery of the DSL (src/dsl/examples/).
 */
import { EXAMPLES } from '../dsl/examples';

export const SOURCE_FILES = ['model.ts', 'qconfig.ts'] as const;
export type SourceFile = (typeof SOURCE_FILES)[number];

export const DEFAULT_EXAMPLE_ID = 'reference_cnn';

function defaultExample() {
  const example = EXAMPLES.find((e) => e.id === DEFAULT_EXAMPLE_ID);
  if (!example) throw new Error(`The examples gallery has no '${DEFAULT_EXAMPLE_ID}' example`);
  return example;
}

export const DEFAULT_SOURCES: Readonly<Record<SourceFile, string>> = Object.freeze({ ...defaultExample().files });
