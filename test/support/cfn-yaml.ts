// Parses a CloudFormation YAML template as CloudFormation does: short-form intrinsic tags (`!Ref`, `!Sub`, …) become their long form.
import { parseDocument, type Tags, type YAMLMap, type YAMLSeq } from 'yaml';

/** CloudFormation's short-form tags and the key each stands for (`!Ref x` is `{Ref: x}`, `!Sub x` is `{'Fn::Sub': x}`). */
const INTRINSICS: Record<string, string> = {
  Ref: 'Ref',
  Condition: 'Condition',
  ...Object.fromEntries(
    [
      'And',
      'Base64',
      'Cidr',
      'Equals',
      'FindInMap',
      'GetAtt',
      'GetAZs',
      'If',
      'ImportValue',
      'Join',
      'Length',
      'Not',
      'Or',
      'Select',
      'Split',
      'Sub',
      'ToJsonString',
      'Transform',
    ].map((name) => [name, `Fn::${name}`]),
  ),
};

// Each tag may be written on a scalar, a sequence or a mapping; yaml picks the one for the node's kind.
const CLOUDFORMATION_TAGS: Tags = Object.entries(INTRINSICS).flatMap(([name, key]) => {
  const collection = (value: YAMLSeq.Parsed | YAMLMap.Parsed): Record<string, unknown> => {
    const json: unknown = value.toJSON();
    return { [key]: json };
  };
  return [
    { tag: `!${name}`, resolve: (value: string) => ({ [key]: intrinsicScalar(name, value) }) },
    { tag: `!${name}`, collection: 'seq', resolve: collection },
    { tag: `!${name}`, collection: 'map', resolve: collection },
  ];
});

/** `!GetAtt Role.Arn` is the short form of `{'Fn::GetAtt': ['Role', 'Arn']}`. */
function intrinsicScalar(name: string, value: string): unknown {
  if (name !== 'GetAtt') return value;
  const dot = value.indexOf('.');
  return dot === -1 ? value : [value.slice(0, dot), value.slice(dot + 1)];
}

/** The template as CloudFormation reads it; an unknown tag or a YAML error throws, naming the file. */
export function parseCloudFormation(text: string, file: string): unknown {
  const doc = parseDocument(text, { customTags: CLOUDFORMATION_TAGS, prettyErrors: true });
  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length > 0) throw new Error(`${file}: ${problems.map((p) => p.message).join('\n')}`);
  return doc.toJS();
}
